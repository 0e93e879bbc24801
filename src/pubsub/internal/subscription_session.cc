#include "src/pubsub/internal/subscription_session.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "src/pubsub/limits.h"

namespace schedsvc::pubsub_internal {
namespace {

namespace v1 = ::google::pubsub::v1;
using ::schedsvc::pubsub::AckHandle;
using ::schedsvc::pubsub::Message;

const int kMaxModackSeconds = static_cast<int>(absl::ToInt64Seconds(pubsub::kMaxAckDeadline));

std::int64_t MessageBytes(const v1::PubsubMessage& m) {
  std::int64_t n = static_cast<std::int64_t>(m.data().size());
  for (const auto& [k, v] : m.attributes()) n += static_cast<std::int64_t>(k.size() + v.size());
  return n;
}

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Settles through the session while it exists; a no-op afterwards.
class AckForwarder final : public schedsvc::pubsub::internal::AckHandleImpl {
 public:
  explicit AckForwarder(std::weak_ptr<SubscriptionSession> session) : session_(std::move(session)) {}
  void Ack(const std::string& ack_id) override {
    if (auto s = session_.lock()) s->Ack(ack_id);
  }
  void Nack(const std::string& ack_id, absl::Duration delay) override {
    if (auto s = session_.lock()) s->Nack(ack_id, delay);
  }

 private:
  std::weak_ptr<SubscriptionSession> session_;
};

std::string RandomClientId() {
  absl::BitGen gen;
  return absl::StrCat("schedsvc-", absl::Uniform<std::uint64_t>(gen));
}

}  // namespace

SessionHooks::SessionHooks(std::function<void(const schedsvc::pubsub::StreamEvent&)> on_stream_event,
                           std::function<void(const schedsvc::pubsub::AckFailureEvent&)> on_ack_failure)
    : on_stream_event_(std::move(on_stream_event)), on_ack_failure_(std::move(on_ack_failure)) {}

bool SessionHooks::Enter() {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  ++in_progress_;
  return true;
}

void SessionHooks::Leave() {
  absl::MutexLock lock(&mu_);
  --in_progress_;
}

void SessionHooks::OnStreamEvent(const schedsvc::pubsub::StreamEvent& event) {
  if (!on_stream_event_ || !Enter()) return;
  on_stream_event_(event);
  Leave();
}

void SessionHooks::OnAckFailure(const schedsvc::pubsub::AckFailureEvent& event) {
  if (!on_ack_failure_ || !Enter()) return;
  on_ack_failure_(event);
  Leave();
}

void SessionHooks::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_progress_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

std::shared_ptr<SubscriptionSession> SubscriptionSession::Make(schedsvc::pubsub::SubscriberOptions options,
                                                               std::shared_ptr<SubscriberStub> stub,
                                                               Executor& executor, Clock& clock) {
  return std::shared_ptr<SubscriptionSession>(
      new SubscriptionSession(std::move(options), std::move(stub), executor, clock));
}

SubscriptionSession::SubscriptionSession(schedsvc::pubsub::SubscriberOptions options,
                                         std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock)
    : options_(std::move(options)),
      stub_(std::move(stub)),
      executor_(executor),
      clock_(clock),
      flow_(options_.max_outstanding_messages, options_.max_outstanding_bytes),
      hooks_(std::make_shared<SessionHooks>(options_.on_stream_event, options_.on_ack_failure)) {
  AckBatcherOptions batcher_options;
  batcher_options.batch_delay = options_.ack_batch_delay;
  // Acks and deadline changes are worth retrying while the deadline they last got lasts.
  batcher_options.retry_budget = options_.lease_extension_step;
  if (options_.on_ack_failure) {
    batcher_options.on_failure = [hooks = hooks_](const schedsvc::pubsub::AckFailureEvent& e) {
      hooks->OnAckFailure(e);
    };
  }
  batcher_ = std::make_shared<AckBatcher>(stub_, executor_, clock_, options_.subscription, batcher_options);
  std::weak_ptr<AckBatcher> weak_batcher = batcher_;
  leases_ = std::make_shared<LeaseManager>(
      executor_, clock_,
      [weak_batcher](std::vector<std::string> ids, int seconds) {
        if (auto b = weak_batcher.lock()) b->ModifyDeadline(std::move(ids), seconds);
      },
      LeaseOptions{options_.lease_extension_step, options_.max_lease_extension});
}

void SubscriptionSession::Start(schedsvc::pubsub::Subscriber::Handler handler) {
  handler_ = std::move(handler);
  ack_forwarder_ = std::make_shared<AckForwarder>(weak_from_this());
  receiving_ = true;
  leases_->Start();
  v1::StreamingPullRequest initial;
  initial.set_subscription(options_.subscription);
  initial.set_stream_ack_deadline_seconds(
      static_cast<int>(absl::ToInt64Seconds(options_.lease_extension_step)));
  initial.set_client_id(options_.client_id.empty() ? RandomClientId() : options_.client_id);
  // Each stream gets its share of the limits, so the server never sends more than we admit in total.
  initial.set_max_outstanding_messages(CeilDiv(options_.max_outstanding_messages, options_.streams));
  initial.set_max_outstanding_bytes(CeilDiv(options_.max_outstanding_bytes, options_.streams));
  std::weak_ptr<SubscriptionSession> weak = weak_from_this();
  for (int i = 0; i < options_.streams; ++i) {
    StreamLoopOptions loop_options;
    loop_options.initial_request = initial;
    loop_options.reconnect_backoff = options_.reconnect_backoff;
    loop_options.permanent_failure_backoff = options_.permanent_failure_backoff;
    loop_options.heartbeat_interval = options_.heartbeat_interval;
    loop_options.watchdog_timeout = options_.watchdog_timeout;
    streams_.push_back(std::make_shared<StreamLoop>(
        i, stub_, executor_, clock_, loop_options,
        [weak](v1::StreamingPullResponse response) {
          if (auto self = weak.lock()) self->OnResponse(std::move(response));
        },
        [hooks = hooks_](const schedsvc::pubsub::StreamEvent& e) { hooks->OnStreamEvent(e); }));
  }
  for (auto& s : streams_) s->Start();
}

void SubscriptionSession::OnResponse(v1::StreamingPullResponse response) {
  const absl::Time now = clock_.Now();
  std::weak_ptr<SubscriptionSession> weak = weak_from_this();
  // Admitted at once: handed to the executor together, below.
  std::vector<Delivery> admitted;
  admitted.reserve(response.received_messages_size());
  for (auto& received : *response.mutable_received_messages()) {
    received_.fetch_add(1, std::memory_order_relaxed);
    const std::int64_t bytes = MessageBytes(received.message());
    std::string ack_id = received.ack_id();
    if (!receiving_) {
      // Arrived while stopping: hand it straight back.
      batcher_->ModifyDeadline({std::move(ack_id)}, 0);
      continue;
    }
    leases_->Add(ack_id, bytes);
    auto message = std::make_shared<Message>();
    v1::PubsubMessage* m = received.mutable_message();
    message->message_id = m->message_id();
    message->data = std::move(*m->mutable_data());
    for (auto& [k, v] : *m->mutable_attributes()) message->attributes.emplace(k, std::move(v));
    message->ordering_key = m->ordering_key();
    message->publish_time =
        absl::FromUnixSeconds(m->publish_time().seconds()) + absl::Nanoseconds(m->publish_time().nanos());
    message->delivery_attempt = received.delivery_attempt();
    message->receive_time = now;
    auto deliver_later = [&]() -> std::function<void()> {
      return [this, weak, message, ack_id] {
        executor_.Run([weak, message, ack_id] {
          auto self = weak.lock();
          if (!self) return;
          self->handler_(std::move(*message), AckHandle(self->ack_forwarder_, ack_id));
        });
      };
    };
    if (flow_.Admit(ack_id, bytes, deliver_later)) admitted.push_back({std::move(message), std::move(ack_id)});
  }
  DeliverAdmitted(std::move(admitted));
  UpdateReading();
}

void SubscriptionSession::UpdateReading() {
  absl::MutexLock lock(&reading_mu_);
  // Hysteresis: pause at the bound, resume at half of it, so reading does not flap per message.
  const std::int64_t bound = options_.max_outstanding_messages;
  // After each change the queue is read again: a Settle() that released the last waiting message just
  // before the pause was published (and so skipped calling here) is then seen. The flow controller's
  // mutex orders that read after such a release, or the release after the published pause.
  for (;;) {
    const auto waiting = static_cast<std::int64_t>(flow_.queued());
    const bool pause = reading_paused_ ? waiting > bound / 2 : waiting >= bound;
    if (pause == reading_paused_) return;
    reading_paused_ = pause;
    reading_paused_snapshot_ = pause;
    for (auto& s : streams_) s->SetReadingPaused(pause);
  }
}

void SubscriptionSession::DeliverAdmitted(std::vector<Delivery> admitted) {
  if (admitted.empty()) return;
  // One executor task per handler thread (not per message): a response of 100 messages then wakes two
  // threads instead of waking one a hundred times (pubsub_consume_bench at 1 stream: 24 -> 19 us/msg).
  // The tasks share the batch: each takes the next message not yet taken, so one slow handler does not
  // hold up messages another thread is free to run.
  struct Batch {
    std::vector<Delivery> deliveries;
    std::atomic<std::size_t> next{0};
  };
  const std::size_t tasks = std::min<std::size_t>(admitted.size(), std::max(1, options_.executor_threads));
  auto batch = std::make_shared<Batch>();
  batch->deliveries = std::move(admitted);
  std::weak_ptr<SubscriptionSession> weak = weak_from_this();
  for (std::size_t t = 0; t < tasks; ++t) {
    executor_.Run([weak, batch] {
      auto self = weak.lock();
      if (!self) return;
      for (std::size_t i = batch->next++; i < batch->deliveries.size(); i = batch->next++) {
        Delivery& d = batch->deliveries[i];
        self->handler_(std::move(*d.message), AckHandle(self->ack_forwarder_, d.ack_id));
      }
    });
  }
}

void SubscriptionSession::Settle(const std::string& ack_id) {
  const std::int64_t bytes = leases_->Remove(ack_id);
  if (bytes < 0) return;
  flow_.Release(bytes);
  if (reading_paused_snapshot_) UpdateReading();
}

void SubscriptionSession::Ack(const std::string& ack_id) {
  if (shut_down_) return;
  Settle(ack_id);
  batcher_->Ack(ack_id);
}

void SubscriptionSession::Nack(const std::string& ack_id, absl::Duration delay) {
  if (shut_down_) return;
  Settle(ack_id);
  const int seconds = std::clamp(static_cast<int>(std::ceil(absl::ToDoubleSeconds(delay))), 0, kMaxModackSeconds);
  batcher_->ModifyDeadline({ack_id}, seconds);
}

void SubscriptionSession::StopReceiving() {
  if (!receiving_.exchange(false)) return;
  for (auto& s : streams_) s->Stop();
  // Messages that never reached the handler go back at once.
  std::vector<std::string> queued = flow_.DrainQueued();
  for (const auto& id : queued) leases_->Remove(id);
  batcher_->ModifyDeadline(std::move(queued), 0);
  UpdateReading();
}

void SubscriptionSession::Shutdown(absl::Duration timeout) {
  StopReceiving();
  if (shut_down_.exchange(true)) return;
  const absl::Time deadline = clock_.Now() + timeout;
  for (auto& s : streams_) s->WaitStopped(std::max(deadline - clock_.Now(), absl::ZeroDuration()));
  leases_->Stop();
  batcher_->ModifyDeadline(leases_->TakeAll(), 0);
  batcher_->FlushAndWait(std::max(deadline - clock_.Now(), absl::ZeroDuration()));
  // gRPC callbacks may still hold the session: from here on they no longer reach the hooks' owner.
  hooks_->Close();
}

bool SubscriptionSession::IsHealthy() const {
  if (!receiving_ || streams_.empty()) return false;
  return std::any_of(streams_.begin(), streams_.end(), [](const auto& s) { return s->connected(); });
}

schedsvc::pubsub::SubscriberHealth SubscriptionSession::Health() const {
  schedsvc::pubsub::SubscriberHealth health;
  if (!receiving_ || streams_.empty()) {
    health.reason = shut_down_ || !streams_.empty() ? "subscriber stopped" : "subscriber not started";
    return health;
  }
  std::string reason;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i]->connected()) {
      health.healthy = true;
      continue;
    }
    const absl::Status error = streams_[i]->last_error();
    absl::StrAppend(&reason, reason.empty() ? "" : "; ", "stream ", i, ": ",
                    error.ok() ? std::string("connecting")
                               : absl::StrCat(absl::StatusCodeToString(error.code()), ": ", error.message()));
  }
  if (!health.healthy) health.reason = absl::StrCat(reason, "; subscription ", options_.subscription);
  return health;
}

schedsvc::pubsub::SubscriberStats SubscriptionSession::stats() const {
  schedsvc::pubsub::SubscriberStats s;
  s.streams = static_cast<int>(streams_.size());
  for (const auto& loop : streams_) {
    if (loop->connected()) ++s.streams_connected;
    s.stream_reconnects += loop->reconnects();
  }
  s.messages_received = received_.load(std::memory_order_relaxed);
  s.messages_leased = static_cast<std::int64_t>(leases_->size());
  s.messages_waiting = static_cast<std::int64_t>(flow_.queued());
  s.lease_extensions = leases_->extensions();
  s.lease_expiries = leases_->expiries();
  s.ack_ids_failed = batcher_->failed_ids();
  s.oldest_lease_receive_time = leases_->oldest_receive_time();
  if (s.oldest_lease_receive_time != absl::InfiniteFuture()) {
    s.oldest_lease_age = std::max(clock_.Now() - s.oldest_lease_receive_time, absl::ZeroDuration());
  }
  s.reading_paused = reading_paused_snapshot_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace schedsvc::pubsub_internal
