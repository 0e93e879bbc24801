// SubscriberEventLog: turns the subscriber's observer hooks (pubsub::StreamEvent, pubsub::AckFailureEvent)
// into metrics and JSON log lines, so a stream that cannot open (missing subscription, missing IAM role,
// bad endpoint, emulator down) is never silent. Every event is counted (schedsvc_stream_failures_total,
// schedsvc_ack_failures_total); log lines are rate-limited per stream (and per ack RPC kind) by time only:
// at most one line per `interval`, carrying the number of failures left out since the last line, whatever
// the code or attempt number (a stream that keeps failing after a few seconds each is not logged each
// time); a stream that connects after failures that made it wait (not a routine reopen at once) logs that
// it recovered, with the failures left out. Called on gRPC and executor threads; does not block
// beyond JsonLogger. Thread-safe. Owned by ScheduleService; `log`, `metrics` and `clock` must outlive it.
#ifndef SCHEDSVC_SERVICE_SUBSCRIBER_EVENT_LOG_H_
#define SCHEDSVC_SERVICE_SUBSCRIBER_EVENT_LOG_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/common/log_rate_limit.h"
#include "src/metrics/service_metrics.h"
#include "src/pubsub/subscriber_options.h"

namespace schedsvc::service {

class SubscriberEventLog {
 public:
  // Default spacing of repeated log lines for one stream.
  static constexpr absl::Duration kDefaultInterval = absl::Seconds(30);

  // `subscription` and `endpoint` are added to every line. `clock` should be monotonic.
  SubscriberEventLog(std::string subscription, std::string endpoint, JsonLogger& log,
                     metrics::ServiceMetrics& metrics, Clock& clock, absl::Duration interval = kDefaultInterval);

  void OnStreamEvent(const pubsub::StreamEvent& event);
  void OnAckFailure(const pubsub::AckFailureEvent& event);

 private:
  // Rate-limit state of one stream or one ack RPC kind.
  struct Limiter {
    LogRateLimit lines;
    // A failure since the last connection waited for a backoff (not a routine reopen at once).
    bool degraded = false;
  };
  // Returns whether this failure gets a line (at most one per `interval_`), and the count of failures left
  // out before it.
  bool Admit(Limiter& limiter, std::int64_t* suppressed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string subscription_;
  const std::string endpoint_;
  JsonLogger& log_;
  metrics::ServiceMetrics& metrics_;
  Clock& clock_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  std::map<int, Limiter> streams_ ABSL_GUARDED_BY(mu_);
  std::map<int, Limiter> ack_rpcs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::service

#endif  // SCHEDSVC_SERVICE_SUBSCRIBER_EVENT_LOG_H_
