// MessageDispatcher: the policy heart of schedule-service. For each message the subscriber hands over it
// decides, step by step, between calling the backend, retrying, holding, nacking and dead-lettering
// (DESIGN §2-§3):
//
//   route (BackendRouter) --permanent--> dead-letter, then ack
//     |
//   circuit breaker --open--> hold leased (recheck when it may close) --budget spent / max_hold / hold
//     |                                                                  full--> nack(redelivery delay)
//   concurrency limiter (per backend max_concurrency)
//     |
//   HTTP attempt (timeout clipped to the message's budget) --2xx--> ack
//     |--permanent (other 4xx, 3xx)--> dead-letter, then ack
//     |--retryable (transport, 408, 429, 5xx, 401/403)--> RetrySchedule: retry after full-jitter backoff
//                     while the budget lasts (and under retry.max_attempts when set), else give up:
//                     nack with the redelivery delay (after-success) / dead-letter "retries_exhausted"
//                     (on-receipt)
//
// Each delivery is routed once, on arrival, to its Backend (backend.h): the one object that holds the
// backend's config, request builder, breaker, limiter, retry schedule and held count; every step of the
// delivery uses that object.
//
// A message's budget ends a safety margin before its lease would (delivery_budget.h): every backoff, hold
// and attempt timeout fits inside it, and a message whose budget is spent is handed back while still
// leased. Nacks for retryable causes wait RedeliveryDelay(delivery attempt) (redelivery_delay.h), so an
// outage spends Pub/Sub delivery attempts slowly; shutdown nacks are immediate.
//
// With ingest: push the message comes from a push request that waits for its settle (src/push/): the
// budget is push.ack_deadline instead of lease.max_extension (same margin), and an open circuit hands the
// message back at once (reason circuit_open) instead of holding it; a nack's delay is ignored there, as
// the HTTP answer cannot carry one (Pub/Sub's retry policy spaces the redeliveries).
//
// In on-receipt mode the message is acked first and the same steps follow; a message that can then be
// neither delivered nor dead-lettered is lost, and logged and counted as such.
//
// Time: the budget, backoffs, holds and attempt timeouts are measured on the injected steady Clock (the
// one the Executor's timers run on), so a wall-clock step moves none of them; the wall Clock is used
// only for what relates to the outside world (end-to-end latency from Pub/Sub's publish time, an
// HTTP-date Retry-After). Transport (HttpClient, DeadLetterSink) is injected. Thread-safe; no lock is
// held while calling out. Every degraded path has a metric and a log line.
//
// When given a RecentDeliveries ring, each delivery adds one record to it when it settles (delivered,
// handed back, dead-lettered once the publish is confirmed, or lost), never while held or retried.
#ifndef SCHEDSVC_DISPATCH_MESSAGE_DISPATCHER_H_
#define SCHEDSVC_DISPATCH_MESSAGE_DISPATCHER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "src/common/clock.h"
#include "src/common/executor.h"
#include "src/common/json_log.h"
#include "src/config/service_config.h"
#include "src/dispatch/backend.h"
#include "src/dispatch/backend_router.h"
#include "src/dispatch/delivery_outcome.h"
#include "src/dispatch/recent_deliveries.h"
#include "src/dispatch/http_client.h"
#include "src/metrics/service_metrics.h"
#include "src/pubsub/ack_handle.h"
#include "src/pubsub/message.h"
#include "src/dispatch/dead_letter_publisher.h"

namespace schedsvc::dispatch {

class MessageDispatcher {
 public:
  // `dead_letters` may be null (no dead_letter_topic configured). `executor` must run its timers on
  // `steady` (a monotonic clock, SteadyClock in production); `wall` is the wall clock (SystemClock).
  // `recent` (may be null: none kept) receives one record per settled delivery. All references and
  // pointers must outlive this.
  MessageDispatcher(const config::ServiceConfig& config, HttpClient& http, DeadLetterSink* dead_letters,
                    Executor& executor, Clock& steady, Clock& wall, metrics::ServiceMetrics& metrics,
                    JsonLogger& log, RecentDeliveries* recent = nullptr);
  ~MessageDispatcher();

  // Takes ownership of one received message and settles it eventually. The subscriber's handler.
  void Dispatch(pubsub::Message message, pubsub::AckHandle handle);

  // Stops retrying and holding: every message waiting on a backoff, a circuit or a concurrency slot is
  // nacked at once (another pod gets it); attempts already on the wire finish, and a retryable result
  // is then nacked instead of retried.
  void BeginShutdown();

  // Messages taken and not yet settled.
  int in_flight() const { return in_flight_.load(); }

  // Blocks until nothing is in flight or `timeout` (real time: this is for shutdown) passes; returns
  // true when idle.
  bool WaitIdle(absl::Duration timeout);

  // Copies per-backend circuit states and held counts into the metrics (before a scrape).
  void UpdateMetrics();

 private:
  struct Delivery;

  void TryAttempt(const std::shared_ptr<Delivery>& d);
  void Hold(const std::shared_ptr<Delivery>& d);
  void LeaveHold(Delivery& d);
  void SendAttempt(const std::shared_ptr<Delivery>& d);
  void OnAttemptDone(const std::shared_ptr<Delivery>& d, absl::Time started,
                     absl::StatusOr<HttpResponse> result);
  void OnRetryableFailure(const std::shared_ptr<Delivery>& d, const DeliveryOutcome& outcome);
  void DeadLetter(const std::shared_ptr<Delivery>& d, std::string reason, const absl::Status& error,
                  int http_status);
  void Ack(const std::shared_ptr<Delivery>& d, absl::string_view outcome, int http_status);
  void Nack(const std::shared_ptr<Delivery>& d, absl::string_view reason, absl::Duration delay,
            const absl::Status& error);
  // Hands the message back for a retryable cause with the redelivery delay of its delivery attempt (in
  // on-receipt mode: dead-letters it, as nothing can be handed back).
  void NackForRedelivery(const std::shared_ptr<Delivery>& d, absl::string_view reason, const absl::Status& error);
  // On-receipt mode: the message was acked and can be neither delivered nor dead-lettered.
  // `error` is the failure's message (for the recent-deliveries record).
  void Lost(const std::shared_ptr<Delivery>& d, absl::string_view reason, absl::string_view error,
            nlohmann::json fields);
  void Finish();
  // Adds the delivery's record to recent_ (when set): its outcome is decided.
  void Record(const Delivery& d, FinalOutcome outcome, absl::string_view reason_code, absl::string_view reason);
  // Runs `fn` after `delay` unless BeginShutdown() takes the delivery first (then it is nacked).
  void RunAfter(const std::shared_ptr<Delivery>& d, absl::Duration delay, std::function<void()> fn);
  nlohmann::json LogFields(const Delivery& d) const;

  const config::ServiceConfig& config_;
  HttpClient& http_;
  DeadLetterSink* dead_letters_;
  Executor& executor_;
  // Budgets, backoffs, holds, attempt timeouts.
  Clock& steady_;
  // End-to-end latency from the publish time; HTTP-date Retry-After.
  Clock& wall_;
  metrics::ServiceMetrics& metrics_;
  JsonLogger& log_;
  RecentDeliveries* const recent_;
  // One Backend per configured backend; routes each delivery to one of them.
  BackendRouter backends_;
  std::string project_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> shutting_down_{false};

  absl::Mutex idle_mu_;
  absl::CondVar idle_cv_;

  absl::Mutex mu_;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  // Deliveries waiting on a timer, with the timer's id.
  absl::flat_hash_map<Delivery*, std::pair<std::shared_ptr<Delivery>, TimerId>> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_MESSAGE_DISPATCHER_H_
