// ServiceMetrics: every metric schedule-service exports (docs/metrics.md is the contract), on one
// prometheus-cpp registry. Per-backend series are created once at start-up for the configured backends,
// so the hot path touches only pre-resolved counters; label values are backend names from the config
// and fixed reason/class words, never anything taken from a message. The nack and dead-letter series of
// every known reason exist at 0 from start-up: a counter series that first appears at 1 is invisible to
// rate()/increase(), and a missing series empties any sum it is added to, so alert rules on the first
// failure would stay silent (deploy/monitoring/alerts.yaml). Thread-safe (prometheus-cpp's metric
// objects are).
#ifndef SCHEDSVC_METRICS_SERVICE_METRICS_H_
#define SCHEDSVC_METRICS_SERVICE_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace schedsvc::metrics {

// The label value used for messages that name no configured backend.
inline constexpr char kUnknownBackend[] = "";

// The `reason` values of schedsvc_messages_nacked_total and schedsvc_messages_dead_lettered_total that
// MessageDispatcher emits (docs/metrics.md lists the same words; deploy_metric_names_test checks that).
// Their series are pre-created at 0 for every backend.
// The dispatcher names them through these constants, so the lists cannot drift from what it emits.
inline constexpr absl::string_view kNackRetryBudgetSpent = "retry_budget_spent";
inline constexpr absl::string_view kNackCircuitOpen = "circuit_open";
inline constexpr absl::string_view kNackShutdown = "shutdown";
inline constexpr absl::string_view kNackNoDeadLetterTopic = "no_dead_letter_topic";
inline constexpr absl::string_view kNackDeadLetterPublishFailed = "dead_letter_publish_failed";
inline constexpr std::array<absl::string_view, 5> kNackReasons = {
    kNackRetryBudgetSpent, kNackCircuitOpen, kNackShutdown, kNackNoDeadLetterTopic, kNackDeadLetterPublishFailed};
// Dead-letter reasons: the dispatch::PermanentReason names (message_dispatcher_test checks that each is
// here) and the dispatcher's own.
inline constexpr absl::string_view kDeadLetterRetriesExhausted = "retries_exhausted";
inline constexpr absl::string_view kDeadLetterShutdown = "shutdown";
// The `rpc` values of schedsvc_ack_failures_total.
inline constexpr absl::string_view kRpcAcknowledge = "acknowledge";
inline constexpr absl::string_view kRpcModifyAckDeadline = "modify_ack_deadline";
inline constexpr std::array<absl::string_view, 9> kDeadLetterReasons = {
    "http_4xx",           "http_3xx",       "unknown_backend",           "invalid_path", "invalid_method",
    "invalid_content_type", "body_too_large", kDeadLetterRetriesExhausted, kDeadLetterShutdown};

// The `reason` values of schedsvc_messages_lost_total: in on-receipt mode (acked on arrival) a message
// that could be neither delivered nor dead-lettered is lost. Pre-created at 0 for every backend.
inline constexpr absl::string_view kLostDeadLetterPublishFailed = "dead_letter_publish_failed";
inline constexpr absl::string_view kLostNoDeadLetterTopic = "no_dead_letter_topic";
inline constexpr std::array<absl::string_view, 2> kLostReasons = {kLostDeadLetterPublishFailed,
                                                                  kLostNoDeadLetterTopic};

// The `result` values of schedsvc_push_requests_total (ingest: push), each pre-created at 0.
inline constexpr absl::string_view kPushAcked = "acked";                  // answered 2xx: settled
inline constexpr absl::string_view kPushNacked = "nacked";                // answered 503: handed back
inline constexpr absl::string_view kPushBadRequest = "bad_request";       // 400/405/413: never dispatched
inline constexpr absl::string_view kPushUnauthenticated = "unauthenticated";  // 401: no token
inline constexpr absl::string_view kPushForbidden = "forbidden";          // 403: token refused
inline constexpr absl::string_view kPushServiceFull = "service_full";     // 429: max_outstanding_messages
// 503 without dispatch or settle: shutting down, signing keys unavailable, or no settle before the deadline.
inline constexpr absl::string_view kPushUnavailable = "unavailable";
inline constexpr std::array<absl::string_view, 7> kPushResults = {
    kPushAcked, kPushNacked, kPushBadRequest, kPushUnauthenticated, kPushForbidden, kPushServiceFull,
    kPushUnavailable};

class ServiceMetrics {
 public:
  // Creates every family and the series for `subscription` and each of `backends` (plus
  // kUnknownBackend), including a 0 nack/dead-letter series per backend and known reason.
  ServiceMetrics(const std::string& subscription, const std::vector<std::string>& backends);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void MessageReceived() { received_->Increment(); }
  void Acked(absl::string_view backend);
  // A reason outside kNackReasons / kDeadLetterReasons still gets its series, on first use.
  void Nacked(absl::string_view backend, absl::string_view reason);
  void DeadLettered(absl::string_view backend, absl::string_view reason);
  // A message acked on receipt (on-receipt mode) that could not be delivered or dead-lettered.
  void MessageLost(absl::string_view backend, absl::string_view reason);
  // An attempt the backend answered with 401 or 403 (it rejected the service's credentials).
  void BackendAuthFailure(absl::string_view backend);
  void BackendRequest(absl::string_view backend, absl::string_view code_class, absl::Duration latency);
  void EndToEnd(absl::string_view backend, absl::Duration latency);
  void Retry(absl::string_view backend);
  void SetHeld(absl::string_view backend, double held);
  // 0 closed, 1 half-open, 2 open.
  void SetCircuitState(absl::string_view backend, int state);
  void SetInFlight(double n) { in_flight_->Set(n); }
  void SetReady(bool ready) { ready_->Set(ready ? 1 : 0); }

  // Subscriber-side figures, copied in just before each scrape.
  struct SubscriberFigures {
    int streams_connected = 0;
    std::int64_t stream_reconnects = 0;
    std::int64_t lease_extensions = 0;
    std::int64_t lease_expiries = 0;
    double oldest_in_flight_age_seconds = 0;
    // Messages received and leased but waiting for flow control (schedsvc_messages_waiting).
    std::int64_t messages_waiting = 0;
  };
  // One failed StreamingPull stream (or attempt to open one), by gRPC code name ("NOT_FOUND", ...).
  // Every non-OK code's series exists at 0 from start-up.
  void StreamFailure(absl::string_view code);
  // `ack_ids` ack ids whose Acknowledge (`rpc` "acknowledge") or ModifyAckDeadline ("modify_ack_deadline")
  // finally failed with `code`. Series of both rpcs and every non-OK code exist at 0 from start-up.
  void AckFailure(absl::string_view rpc, absl::string_view code, std::int64_t ack_ids);
  void UpdateSubscriber(const SubscriberFigures& figures);
  // Reads this process's RSS and CPU time from /proc and getrusage.
  void UpdateProcess();
  // Copies in the logger's total of dropped log lines (JsonLogger::dropped_lines()), just before a scrape.
  void SetLogLinesDropped(std::uint64_t total);
  // Copies the HTTP client's count of requests libcurl re-sent on a fresh connection (monotonic).
  void SetHttpResends(std::uint64_t total);
  // One push request answered with `result` (one of kPushResults; others are not counted).
  void PushRequest(absl::string_view result);

 private:
  using CountersByReason = std::map<std::string, prometheus::Counter*, std::less<>>;
  struct BackendSeries {
    prometheus::Counter* acked;
    prometheus::Counter* retries;
    prometheus::Histogram* request_duration;
    prometheus::Histogram* end_to_end;
    prometheus::Gauge* held;
    prometheus::Gauge* circuit_state;
    std::map<std::string, prometheus::Counter*, std::less<>> requests_by_class;
    CountersByReason nacked_by_reason;         // kNackReasons
    CountersByReason dead_lettered_by_reason;  // kDeadLetterReasons
    CountersByReason lost_by_reason;           // kLostReasons
    prometheus::Counter* auth_failures;
  };
  BackendSeries* Series(absl::string_view backend);
  // The series of `reason` in `by_reason`, or a new one of `family` for an unlisted reason.
  static prometheus::Counter& ReasonSeries(const CountersByReason& by_reason,
                                           prometheus::Family<prometheus::Counter>& family,
                                           const std::string& backend, absl::string_view reason);
  // Sets a monotonically growing counter to `value` (figures that are kept elsewhere as totals).
  static void CatchUp(prometheus::Counter* counter, double value);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* acked_family_;
  prometheus::Family<prometheus::Counter>* nacked_family_;
  prometheus::Family<prometheus::Counter>* dead_lettered_family_;
  prometheus::Family<prometheus::Counter>* requests_family_;
  prometheus::Family<prometheus::Histogram>* request_duration_family_;
  prometheus::Family<prometheus::Histogram>* end_to_end_family_;
  prometheus::Family<prometheus::Counter>* retries_family_;
  prometheus::Family<prometheus::Gauge>* held_family_;
  prometheus::Family<prometheus::Gauge>* circuit_family_;
  prometheus::Family<prometheus::Counter>* lost_family_;
  prometheus::Family<prometheus::Counter>* auth_failures_family_;
  prometheus::Counter* received_;
  prometheus::Counter* lease_extensions_;
  prometheus::Counter* lease_expiries_;
  prometheus::Counter* reconnects_;
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* streams_open_;
  prometheus::Gauge* ready_;
  prometheus::Gauge* oldest_age_;
  prometheus::Gauge* rss_;
  prometheus::Counter* cpu_;
  prometheus::Family<prometheus::Counter>* stream_failures_family_;
  prometheus::Family<prometheus::Counter>* ack_failures_family_;
  prometheus::Gauge* messages_waiting_;
  // Pre-created series by code (and by "rpc/code"); fixed after construction.
  std::map<std::string, prometheus::Counter*, std::less<>> stream_failures_;
  std::map<std::string, prometheus::Counter*, std::less<>> ack_failures_;
  prometheus::Counter* log_lines_dropped_;
  prometheus::Counter* http_resends_;
  // By kPushResults; fixed after construction.
  std::map<std::string, prometheus::Counter*, std::less<>> push_requests_;
  // Fixed after construction: the configured backends plus kUnknownBackend.
  std::map<std::string, BackendSeries, std::less<>> backends_;
};

}  // namespace schedsvc::metrics

#endif  // SCHEDSVC_METRICS_SERVICE_METRICS_H_
