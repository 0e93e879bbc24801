#include "src/pubsub/internal/flow_controller.h"

namespace schedsvc::pubsub_internal {

FlowController::FlowController(std::int64_t max_messages, std::int64_t max_bytes)
    : max_messages_(max_messages), max_bytes_(max_bytes) {}

bool FlowController::FitsLocked(std::int64_t bytes) const {
  // One message is always admitted when nothing is outstanding, however large, or it would wait forever.
  if (messages_ == 0) return true;
  return messages_ < max_messages_ && bytes_ + bytes <= max_bytes_;
}

bool FlowController::Admit(const std::string& ack_id, std::int64_t bytes,
                           absl::FunctionRef<std::function<void()>()> make_deliver_later) {
  absl::MutexLock lock(&mu_);
  if (!queue_.empty() || !FitsLocked(bytes)) {
    queue_.push_back(Pending{ack_id, bytes, make_deliver_later()});
    return false;
  }
  ++messages_;
  bytes_ += bytes;
  return true;
}

void FlowController::Release(std::int64_t bytes) {
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    --messages_;
    bytes_ -= bytes;
    while (!queue_.empty() && FitsLocked(queue_.front().bytes)) {
      ++messages_;
      bytes_ += queue_.front().bytes;
      ready.push_back(std::move(queue_.front().deliver));
      queue_.pop_front();
    }
  }
  for (auto& deliver : ready) deliver();
}

std::vector<std::string> FlowController::DrainQueued() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (auto& p : queue_) ids.push_back(std::move(p.ack_id));
  queue_.clear();
  return ids;
}

std::int64_t FlowController::outstanding_messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

std::int64_t FlowController::outstanding_bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

std::size_t FlowController::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace schedsvc::pubsub_internal
