#include "src/pubsub/internal/ack_batcher.h"

#include <utility>

#include "src/common/status.h"

namespace schedsvc::pubsub_internal {

namespace v1 = ::google::pubsub::v1;

AckBatcher::AckBatcher(std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock,
                       std::string subscription, AckBatcherOptions options)
    : stub_(std::move(stub)),
      executor_(executor),
      clock_(clock),
      subscription_(std::move(subscription)),
      options_(options) {}

void AckBatcher::Ack(std::string ack_id) {
  std::vector<std::unique_ptr<Rpc>> ready;
  {
    absl::MutexLock lock(&mu_);
    acks_.push_back(std::move(ack_id));
    ready = TakeFullBatchesLocked(false);
    ArmTimerLocked();
  }
  for (auto& rpc : ready) Send(std::move(rpc));
}

void AckBatcher::ModifyDeadline(std::vector<std::string> ack_ids, int seconds) {
  if (ack_ids.empty()) return;
  std::vector<std::unique_ptr<Rpc>> ready;
  {
    absl::MutexLock lock(&mu_);
    auto& queue = modacks_[seconds];
    for (auto& id : ack_ids) queue.push_back(std::move(id));
    ready = TakeFullBatchesLocked(false);
    ArmTimerLocked();
  }
  for (auto& rpc : ready) Send(std::move(rpc));
}

void AckBatcher::Flush() {
  std::vector<std::unique_ptr<Rpc>> ready;
  {
    absl::MutexLock lock(&mu_);
    ready = TakeFullBatchesLocked(true);
  }
  for (auto& rpc : ready) Send(std::move(rpc));
}

bool AckBatcher::FlushAndWait(absl::Duration timeout) {
  Flush();
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return in_flight_ == 0 && acks_.empty() && modacks_.empty();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

std::int64_t AckBatcher::failed_ids() const {
  absl::MutexLock lock(&mu_);
  return failed_ids_;
}

void AckBatcher::ArmTimerLocked() {
  if (timer_armed_ || (acks_.empty() && modacks_.empty())) return;
  timer_armed_ = true;
  std::weak_ptr<AckBatcher> weak = weak_from_this();
  executor_.RunAfter(options_.batch_delay, [weak] {
    auto self = weak.lock();
    if (!self) return;
    {
      absl::MutexLock lock(&self->mu_);
      self->timer_armed_ = false;
    }
    self->Flush();
  });
}

std::vector<std::unique_ptr<AckBatcher::Rpc>> AckBatcher::TakeFullBatchesLocked(bool all) {
  std::vector<std::unique_ptr<Rpc>> out;
  const std::size_t max = static_cast<std::size_t>(options_.max_ids_per_request);
  auto take = [&](std::vector<std::string>& queue, bool is_ack, int seconds) {
    while (queue.size() >= max || (all && !queue.empty())) {
      auto rpc = std::make_unique<Rpc>();
      rpc->is_ack = is_ack;
      rpc->seconds = seconds;
      const std::size_t n = std::min(max, queue.size());
      rpc->ids.assign(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.begin() + n));
      queue.erase(queue.begin(), queue.begin() + n);
      out.push_back(std::move(rpc));
    }
  };
  take(acks_, true, 0);
  for (auto it = modacks_.begin(); it != modacks_.end();) {
    take(it->second, false, it->first);
    it = it->second.empty() ? modacks_.erase(it) : std::next(it);
  }
  in_flight_ += static_cast<int>(out.size());
  for (auto& rpc : out) {
    rpc->first_attempt = clock_.Now();
    rpc->backoff = std::make_unique<ExponentialBackoff>(options_.retry_backoff);
  }
  return out;
}

void AckBatcher::Send(std::unique_ptr<Rpc> rpc) {
  auto self = shared_from_this();
  auto shared = std::make_shared<std::unique_ptr<Rpc>>(std::move(rpc));
  auto done = [self, shared](absl::Status status) { self->OnDone(std::move(*shared), std::move(status)); };
  const Rpc& r = **shared;
  if (r.is_ack) {
    v1::AcknowledgeRequest request;
    request.set_subscription(subscription_);
    for (const auto& id : r.ids) request.add_ack_ids(id);
    stub_->AsyncAcknowledge(std::move(request), std::move(done));
  } else {
    v1::ModifyAckDeadlineRequest request;
    request.set_subscription(subscription_);
    request.set_ack_deadline_seconds(r.seconds);
    for (const auto& id : r.ids) request.add_ack_ids(id);
    stub_->AsyncModifyAckDeadline(std::move(request), std::move(done));
  }
}

void AckBatcher::OnDone(std::unique_ptr<Rpc> rpc, absl::Status status) {
  if (!status.ok() && IsTransient(status.code())) {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      delay = rpc->backoff->NextDelay(gen_);
    }
    if (clock_.Now() + delay - rpc->first_attempt <= options_.retry_budget) {
      auto self = shared_from_this();
      auto shared = std::make_shared<std::unique_ptr<Rpc>>(std::move(rpc));
      if (executor_.RunAfter(delay, [self, shared] { self->Send(std::move(*shared)); }) != 0) return;
      rpc = std::move(*shared);
    }
  }
  schedsvc::pubsub::AckFailureEvent failure;
  if (!status.ok()) {
    failure.rpc = rpc->is_ack ? schedsvc::pubsub::AckFailureEvent::Rpc::kAcknowledge
                              : schedsvc::pubsub::AckFailureEvent::Rpc::kModifyAckDeadline;
    failure.status = status;
    failure.ack_ids = static_cast<std::int64_t>(rpc->ids.size());
    failure.deadline_seconds = rpc->seconds;
    // Reported before the RPC stops counting as in flight, so FlushAndWait() returns after the report.
    if (options_.on_failure) options_.on_failure(failure);
  }
  absl::MutexLock lock(&mu_);
  if (!status.ok()) failed_ids_ += failure.ack_ids;
  --in_flight_;
}

}  // namespace schedsvc::pubsub_internal
