#include "src/dispatch/message_dispatcher.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/dispatch/delivery_budget.h"
#include "src/dispatch/permanent_reason.h"
#include "src/dispatch/redelivery_delay.h"
#include "src/pubsub/limits.h"

namespace schedsvc::dispatch {
namespace {

// How often a held message looks at its backend's circuit again, at most.
constexpr absl::Duration kMaxHoldRecheck = absl::Seconds(5);
constexpr absl::Duration kMinHoldRecheck = absl::Milliseconds(100);
// Nack delay when dead-lettering is impossible (no topic, or its publish failed): long enough not to
// spin, short enough that an operator's fix takes effect soon.
constexpr absl::Duration kDeadLetterUnavailableDelay = absl::Seconds(60);
// Pub/Sub's largest ModifyAckDeadline.
constexpr absl::Duration kMaxNackDelay = pubsub::kMaxAckDeadline;

std::string ProjectOf(const std::string& subscription) {
  std::vector<std::string> parts = absl::StrSplit(subscription, '/');
  return parts.size() == 4 ? parts[1] : "";
}

// "00-<trace id>-<span id>-<flags>" -> trace id, or "" when malformed.
std::string TraceIdOf(const std::map<std::string, std::string>& attributes) {
  auto it = attributes.find("traceparent");
  if (it == attributes.end()) return "";
  std::vector<std::string> parts = absl::StrSplit(it->second, '-');
  if (parts.size() != 4 || parts[1].size() != 32) return "";
  return parts[1];
}

}  // namespace

struct MessageDispatcher::Delivery {
  // As received; message.receive_time is a steady-clock reading (set on arrival when the subscriber
  // did not stamp it), and message.delivery_attempt is 0 when Pub/Sub does not send one.
  pubsub::Message message;
  std::optional<pubsub::AckHandle> handle;
  // Steady-clock reading: when the message's budget ends (delivery_budget.h).
  absl::Time deadline;
  Backend* backend = nullptr;
  // The routed backend's name; "" while the message routes to none configured.
  const std::string& backend_name() const {
    static const std::string kNone;
    return backend == nullptr ? kNone : backend->name();
  }
  int attempts = 0;
  // The last attempt's HTTP status; 0 before any, or when it failed below HTTP.
  int last_http_status = 0;
  // When the message was first held for an open circuit, and whether it is held now.
  absl::Time first_hold = absl::InfiniteFuture();
  bool holding = false;
};

MessageDispatcher::MessageDispatcher(const config::ServiceConfig& config, HttpClient& http,
                                     DeadLetterSink* dead_letters, Executor& executor, Clock& steady, Clock& wall,
                                     metrics::ServiceMetrics& metrics, JsonLogger& log, RecentDeliveries* recent)
    : config_(config),
      http_(http),
      dead_letters_(dead_letters),
      executor_(executor),
      steady_(steady),
      wall_(wall),
      metrics_(metrics),
      log_(log),
      recent_(recent),
      backends_(config, steady),
      project_(ProjectOf(config.subscription)) {}

MessageDispatcher::~MessageDispatcher() {
  BeginShutdown();
  for (auto& b : backends_.backends()) b->limiter().Shutdown();
}

nlohmann::json MessageDispatcher::LogFields(const Delivery& d) const {
  const absl::Duration latency = steady_.Now() - d.message.receive_time;
  nlohmann::json fields = {{"message_id", d.message.message_id},
                           {"backend", d.backend_name()},
                           {"attempt", d.attempts},
                           {"latency_ms", absl::ToDoubleMilliseconds(latency)}};
  if (d.message.delivery_attempt > 0) fields["delivery_attempt"] = d.message.delivery_attempt;
  std::string trace = TraceIdOf(d.message.attributes);
  if (!trace.empty() && !project_.empty()) {
    fields["logging.googleapis.com/trace"] = absl::StrCat("projects/", project_, "/traces/", trace);
  }
  return fields;
}

void MessageDispatcher::Dispatch(pubsub::Message message, pubsub::AckHandle handle) {
  metrics_.MessageReceived();
  metrics_.SetInFlight(++in_flight_);
  auto d = std::make_shared<Delivery>();
  d->message = std::move(message);
  // The subscriber stamps receive_time with the same steady clock.
  if (d->message.receive_time == absl::InfinitePast()) d->message.receive_time = steady_.Now();
  // Pull: the lease is extended up to lease.max_extension. Push: the HTTP answer must be sent within the
  // push subscription's ack deadline, which bounds the whole delivery.
  const absl::Duration budget =
      config_.ingest == config::IngestMode::kPush ? config_.push.ack_deadline : config_.lease_max_extension;
  d->deadline = DeliveryDeadline(d->message.receive_time, budget);
  d->handle.emplace(std::move(handle));
  // The one routing decision of the delivery: every attempt goes to this backend.
  auto route = backends_.Route(d->message);
  if (config_.ack_mode == config::AckMode::kOnReceipt) {
    // At-most-once: the message is Pub/Sub's no longer; failures can only be dead-lettered by us. The
    // ack is counted under the backend the message names ("" when it names none).
    std::move(*d->handle).Ack();
    d->handle.reset();
    metrics_.Acked(route.ok() ? absl::string_view((*route)->name()) : absl::string_view(metrics::kUnknownBackend));
  }
  if (!route.ok()) {
    DeadLetter(d, std::string(PermanentReasonName(PermanentReason::kUnknownBackend)),
               route.status(), 0);
    return;
  }
  d->backend = *route;
  TryAttempt(d);
}

void MessageDispatcher::TryAttempt(const std::shared_ptr<Delivery>& d) {
  if (shutting_down_) {
    LeaveHold(*d);
    Nack(d, metrics::kNackShutdown, absl::ZeroDuration(), absl::CancelledError("shutting down"));
    return;
  }
  Backend& b = *d->backend;
  if (!b.breaker().AllowRequest()) {
    Hold(d);
    return;
  }
  LeaveHold(*d);
  // Fast path: a free slot is taken without queuing a waiter (no closure to allocate).
  if (b.limiter().TryAcquire()) {
    SendAttempt(d);
    return;
  }
  b.limiter().Acquire([this, d](absl::Status slot) {
    if (!slot.ok()) {
      d->backend->breaker().OnAbandoned();
      Nack(d, metrics::kNackShutdown, absl::ZeroDuration(), slot);
      return;
    }
    SendAttempt(d);
  });
}

void MessageDispatcher::Hold(const std::shared_ptr<Delivery>& d) {
  Backend& b = *d->backend;
  const auto& cb = b.config().circuit_breaker;
  const absl::Time now = steady_.Now();
  if (config_.ingest == config::IngestMode::kPush) {
    // A push request cannot be held past its ack deadline, and waiting would only tie up the request:
    // answered at once (non-2xx), Pub/Sub backs off by its retry policy and counts a delivery attempt.
    LeaveHold(*d);
    NackForRedelivery(d, metrics::kNackCircuitOpen, absl::UnavailableError("circuit open (push: not held)"));
    return;
  }
  if (!d->holding) {
    if (cb.max_held_messages > 0 && b.held() >= cb.max_held_messages) {
      NackForRedelivery(d, metrics::kNackCircuitOpen, absl::UnavailableError("circuit open and the hold is full"));
      return;
    }
    d->holding = true;
    b.AddHeld();
    // Counted from the first hold: half-open probes in between do not restart the clock.
    if (d->first_hold == absl::InfiniteFuture()) d->first_hold = now;
  }
  if (cb.max_hold > absl::ZeroDuration() && now - d->first_hold >= cb.max_hold) {
    LeaveHold(*d);
    NackForRedelivery(d, metrics::kNackCircuitOpen, absl::UnavailableError("circuit open longer than max_hold"));
    return;
  }
  if (now >= d->deadline) {
    LeaveHold(*d);
    NackForRedelivery(d, metrics::kNackCircuitOpen,
                      absl::UnavailableError("circuit open until the message's budget was spent"));
    return;
  }
  // The lease manager keeps the message leased while it waits; look again when the circuit may admit,
  // and at the latest when the budget ends (then it is handed back while still leased).
  const absl::Duration until_probe = b.breaker().open_until() - now;
  absl::Duration recheck = std::clamp(until_probe, kMinHoldRecheck, kMaxHoldRecheck);
  recheck = std::min(recheck, d->deadline - now);
  if (cb.max_hold > absl::ZeroDuration()) recheck = std::min(recheck, d->first_hold + cb.max_hold - now);
  RunAfter(d, recheck, [this, d] { TryAttempt(d); });
}

void MessageDispatcher::LeaveHold(Delivery& d) {
  if (!d.holding || d.backend == nullptr) return;
  d.holding = false;
  d.backend->RemoveHeld();
}

void MessageDispatcher::SendAttempt(const std::shared_ptr<Delivery>& d) {
  Backend& b = *d->backend;
  const absl::Time now = steady_.Now();
  ++d->attempts;
  auto request = b.BuildRequest(d->message, d->attempts);
  if (!request.ok()) {
    b.limiter().Release();
    b.breaker().OnAbandoned();
    if (auto reason = GetPermanentReason(request.status()); reason.has_value()) {
      DeadLetter(d, std::string(PermanentReasonName(*reason)), request.status(), 0);
      return;
    }
    // A credential file problem: the operator's to fix, never the message's fault.
    DeliveryOutcome outcome;
    outcome.kind = OutcomeKind::kRetryable;
    outcome.status = request.status();
    OnRetryableFailure(d, outcome);
    return;
  }
  request->timeout = b.schedule().AttemptTimeout(now, d->deadline);
  if (request->timeout <= absl::ZeroDuration()) {
    b.limiter().Release();
    b.breaker().OnAbandoned();
    NackForRedelivery(d, metrics::kNackRetryBudgetSpent, absl::DeadlineExceededError("message budget spent"));
    return;
  }
  http_.Send(*std::move(request), [this, d, now](absl::StatusOr<HttpResponse> result) {
    OnAttemptDone(d, now, std::move(result));
  });
}

void MessageDispatcher::OnAttemptDone(const std::shared_ptr<Delivery>& d, absl::Time started,
                                      absl::StatusOr<HttpResponse> result) {
  Backend& b = *d->backend;
  b.limiter().Release();
  const absl::Time now = steady_.Now();
  // The wall clock resolves an HTTP-date Retry-After.
  DeliveryOutcome outcome = ClassifyAttempt(result, wall_.Now());
  d->last_http_status = outcome.http_status;
  metrics_.BackendRequest(d->backend_name(), outcome.code_class, now - started);
  switch (outcome.kind) {
    case OutcomeKind::kSuccess:
      b.breaker().OnSuccess();
      Ack(d, "delivered", outcome.http_status);
      return;
    case OutcomeKind::kPermanent: {
      // The backend answered: it is up, the message is at fault.
      b.breaker().OnSuccess();
      auto reason = GetPermanentReason(outcome.status);
      DeadLetter(d,
                 std::string(reason ? PermanentReasonName(*reason)
                                    : PermanentReasonName(PermanentReason::kHttp4xx)),
                 outcome.status, outcome.http_status);
      return;
    }
    case OutcomeKind::kRetryable:
      b.breaker().OnFailure();
      if (outcome.credential_rejected) {
        // Not the message's fault: a wrong or half-rotated credential. Retried and held like an outage
        // (the credential files are re-read), and told loudly. Never log the credential itself.
        metrics_.BackendAuthFailure(d->backend_name());
        nlohmann::json fields = LogFields(*d);
        fields["http_status"] = outcome.http_status;
        fields["error"] = outcome.status.ToString();
        log_.Error("backend rejected our credentials", fields);
      }
      OnRetryableFailure(d, outcome);
      return;
  }
}

void MessageDispatcher::OnRetryableFailure(const std::shared_ptr<Delivery>& d,
                                           const DeliveryOutcome& outcome) {
  Backend& b = *d->backend;
  if (shutting_down_) {
    Nack(d, metrics::kNackShutdown, absl::ZeroDuration(), outcome.status);
    return;
  }
  RetryDecision decision;
  {
    absl::MutexLock lock(&mu_);
    decision = b.schedule().AfterFailure(d->attempts, steady_.Now(), d->deadline, outcome.retry_after, gen_);
  }
  if (decision.retry()) {
    metrics_.Retry(d->backend_name());
    nlohmann::json fields = LogFields(*d);
    fields["outcome"] = "retry";
    fields["http_status"] = outcome.http_status;
    fields["error"] = outcome.status.ToString();
    fields["retry_in_ms"] = absl::ToDoubleMilliseconds(decision.delay);
    log_.Warning("backend attempt failed, retrying", fields);
    RunAfter(d, decision.delay, [this, d] { TryAttempt(d); });
    return;
  }
  if (config_.ack_mode == config::AckMode::kOnReceipt) {
    DeadLetter(d, std::string(metrics::kDeadLetterRetriesExhausted), outcome.status, outcome.http_status);
    return;
  }
  // After-success: Pub/Sub redelivers later and counts a delivery attempt; its dead-letter policy takes
  // over after maxDeliveryAttempts.
  NackForRedelivery(d, metrics::kNackRetryBudgetSpent, outcome.status);
}

void MessageDispatcher::NackForRedelivery(const std::shared_ptr<Delivery>& d, absl::string_view reason,
                                          const absl::Status& error) {
  Nack(d, reason, RedeliveryDelay(config_.redelivery, d->message.delivery_attempt), error);
}

void MessageDispatcher::Lost(const std::shared_ptr<Delivery>& d, absl::string_view reason, absl::string_view error,
                             nlohmann::json fields) {
  metrics_.MessageLost(d->backend_name(), reason);
  fields["outcome"] = "lost";
  fields["reason"] = reason;
  log_.Error("message lost: acked on receipt and neither delivered nor dead-lettered", fields);
  Record(*d, FinalOutcome::kLost, reason, error);
  Finish();
}

void MessageDispatcher::DeadLetter(const std::shared_ptr<Delivery>& d, std::string reason,
                                   const absl::Status& error, int http_status) {
  nlohmann::json fields = LogFields(*d);
  fields["reason"] = reason;
  fields["http_status"] = http_status;
  fields["error"] = error.ToString();
  if (dead_letters_ == nullptr) {
    if (d->handle) {
      fields["outcome"] = "nacked";
      log_.Error("permanent failure and no dead_letter_topic: nacking with delay", fields);
      Nack(d, metrics::kNackNoDeadLetterTopic, kMaxNackDelay, error);
    } else {
      fields["failure_reason"] = reason;
      Lost(d, metrics::kLostNoDeadLetterTopic, error.message(), std::move(fields));
    }
    return;
  }
  // The status message only: ToString() would add the code name and payloads to attacker-influenced text.
  DeadLetterInfo info{reason, std::string(error.message()), http_status, d->attempts, d->backend_name()};
  dead_letters_->Publish(
      d->message.message_id, d->message.data, d->message.attributes, info,
      [this, d, reason, fields, error_text = info.error](absl::Status published) mutable {
        if (!published.ok()) {
          fields["dead_letter_error"] = published.ToString();
          if (d->handle) {
            fields["outcome"] = "nacked";
            log_.Error("dead-letter publish failed: nacking with delay", fields);
            Nack(d, metrics::kNackDeadLetterPublishFailed, kDeadLetterUnavailableDelay, published);
          } else {
            fields["failure_reason"] = reason;
            Lost(d, metrics::kLostDeadLetterPublishFailed, error_text, std::move(fields));
          }
          return;
        }
        metrics_.DeadLettered(d->backend_name(), reason);
        fields["outcome"] = "dead_lettered";
        log_.Warning("message dead-lettered", fields);
        if (d->handle) {
          std::move(*d->handle).Ack();
          d->handle.reset();
          metrics_.Acked(d->backend_name());
        }
        // The reason as the dead letter's schedsvc.reason and schedsvc.error carry it.
        Record(*d, FinalOutcome::kDeadLettered, reason, error_text);
        Finish();
      });
}

void MessageDispatcher::Ack(const std::shared_ptr<Delivery>& d, absl::string_view outcome, int http_status) {
  if (d->handle) {
    std::move(*d->handle).Ack();
    d->handle.reset();
    metrics_.Acked(d->backend_name());
  }
  if (d->message.publish_time != absl::InfinitePast() && d->message.publish_time != absl::UnixEpoch()) {
    // Publish time is Pub/Sub's wall-clock reading.
    metrics_.EndToEnd(d->backend_name(), wall_.Now() - d->message.publish_time);
  }
  nlohmann::json fields = LogFields(*d);
  fields["outcome"] = outcome;
  fields["http_status"] = http_status;
  log_.Info("message delivered", fields);
  Record(*d, FinalOutcome::kDelivered, "", "");
  Finish();
}

void MessageDispatcher::Nack(const std::shared_ptr<Delivery>& d, absl::string_view reason, absl::Duration delay,
                             const absl::Status& error) {
  nlohmann::json fields = LogFields(*d);
  fields["reason"] = reason;
  fields["error"] = error.ToString();
  if (d->handle) {
    std::move(*d->handle).NackWithDelay(delay);
    d->handle.reset();
    metrics_.Nacked(d->backend_name(), reason);
    fields["outcome"] = "nacked";
    // A push answer carries no delay: Pub/Sub's retry policy spaces the redelivery.
    if (config_.ingest != config::IngestMode::kPush) fields["redeliver_in_s"] = absl::ToDoubleSeconds(delay);
    log_.Warning("message handed back to Pub/Sub", fields);
    Record(*d, FinalOutcome::kHandedBack, reason, error.message());
  } else {
    // On-receipt mode: already acked, nothing to hand back. Dead-letter what can no longer be retried
    // (DeadLetter() tells a message it cannot publish as lost).
    DeadLetter(d,
               std::string(reason == metrics::kNackShutdown ? metrics::kDeadLetterShutdown
                                                            : metrics::kDeadLetterRetriesExhausted),
               error, 0);
    return;
  }
  Finish();
}

void MessageDispatcher::Record(const Delivery& d, FinalOutcome outcome, absl::string_view reason_code,
                               absl::string_view reason) {
  if (recent_ == nullptr) return;
  recent_->Add(MakeDeliveryRecord(wall_.Now(), d.message.message_id, d.message.publish_time,
                                  d.message.delivery_attempt, d.message.attributes, d.backend_name(), d.attempts,
                                  d.last_http_status, steady_.Now() - d.message.receive_time, outcome, reason_code,
                                  reason));
}

void MessageDispatcher::Finish() {
  const int left = --in_flight_;
  metrics_.SetInFlight(left);
  if (left == 0) {
    absl::MutexLock lock(&idle_mu_);
    idle_cv_.SignalAll();
  }
}

void MessageDispatcher::RunAfter(const std::shared_ptr<Delivery>& d, absl::Duration delay, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) {
    // Run now: the step sees shutting_down_ and nacks.
    executor_.Run(std::move(fn));
    return;
  }
  Delivery* key = d.get();
  TimerId id = executor_.RunAfter(delay, [this, key, fn = std::move(fn)] {
    {
      absl::MutexLock l(&mu_);
      if (waiting_.erase(key) == 0) return;  // taken by BeginShutdown
    }
    fn();
  });
  waiting_[key] = {d, id};
}

void MessageDispatcher::BeginShutdown() {
  absl::flat_hash_map<Delivery*, std::pair<std::shared_ptr<Delivery>, TimerId>> waiting;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_.exchange(true)) return;
    waiting.swap(waiting_);
  }
  for (auto& [key, entry] : waiting) {
    executor_.Cancel(entry.second);
    LeaveHold(*entry.first);
    Nack(entry.first, metrics::kNackShutdown, absl::ZeroDuration(), absl::CancelledError("shutting down"));
  }
  for (auto& b : backends_.backends()) b->limiter().Shutdown();
}

bool MessageDispatcher::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&idle_mu_);
  const absl::Time deadline = steady_.Now() + timeout;
  while (in_flight_.load() > 0) {
    const absl::Duration left = deadline - steady_.Now();
    if (left <= absl::ZeroDuration()) return false;
    idle_cv_.WaitWithTimeout(&idle_mu_, left);
  }
  return true;
}

void MessageDispatcher::UpdateMetrics() {
  for (auto& b : backends_.backends()) {
    metrics_.SetCircuitState(b->name(), static_cast<int>(b->breaker().state()));
    metrics_.SetHeld(b->name(), b->held());
  }
}

}  // namespace schedsvc::dispatch
