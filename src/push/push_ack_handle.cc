#include "src/push/push_ack_handle.h"

namespace schedsvc::push {

PushAckHandle::PushAckHandle(std::function<void()> on_release) : on_release_(std::move(on_release)) {}

PushAckHandle::~PushAckHandle() {
  if (on_release_) on_release_();
}

void PushAckHandle::Ack(const std::string&) { Settle(PushSettle::kAcked); }

void PushAckHandle::Nack(const std::string&, absl::Duration) { Settle(PushSettle::kNacked); }

PushSettle PushAckHandle::Abandon() { return Settle(PushSettle::kAbandoned); }

PushSettle PushAckHandle::Settle(PushSettle to) {
  absl::MutexLock lock(&mu_);
  if (state_ == PushSettle::kPending) state_ = to;
  return state_;
}

PushSettle PushAckHandle::Wait(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return state_ != PushSettle::kPending; };
  mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
  return state_;
}

PushSettle PushAckHandle::state() {
  absl::MutexLock lock(&mu_);
  return state_;
}

}  // namespace schedsvc::push
