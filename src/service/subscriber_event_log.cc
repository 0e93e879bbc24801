#include "src/service/subscriber_event_log.h"

#include <utility>

namespace schedsvc::service {

SubscriberEventLog::SubscriberEventLog(std::string subscription, std::string endpoint, JsonLogger& log,
                                       metrics::ServiceMetrics& metrics, Clock& clock, absl::Duration interval)
    : subscription_(std::move(subscription)),
      endpoint_(std::move(endpoint)),
      log_(log),
      metrics_(metrics),
      clock_(clock),
      interval_(interval) {}

bool SubscriberEventLog::Admit(Limiter& limiter, std::int64_t* suppressed) {
  return limiter.lines.Admit(clock_.Now(), interval_, suppressed);
}

void SubscriberEventLog::OnStreamEvent(const pubsub::StreamEvent& event) {
  if (event.connected) {
    bool degraded = false;
    std::int64_t suppressed = 0;
    {
      absl::MutexLock lock(&mu_);
      Limiter& limiter = streams_[event.stream];
      degraded = std::exchange(limiter.degraded, false);
      suppressed = limiter.lines.TakeSuppressed();
    }
    if (!degraded) return;
    log_.Info("StreamingPull stream connected after failures",
              {{"subscription", subscription_},
               {"pubsub_endpoint", endpoint_},
               {"stream", event.stream},
               {"failed_attempts", event.attempt},
               {"suppressed", suppressed}});
    return;
  }
  const std::string code = absl::StatusCodeToString(event.status.code());
  // A stream the server ended cleanly is reopened like a failed one, but is no failure.
  if (!event.status.ok()) metrics_.StreamFailure(code);
  std::int64_t suppressed = 0;
  {
    absl::MutexLock lock(&mu_);
    Limiter& limiter = streams_[event.stream];
    if (event.permanent || event.retry_in > absl::ZeroDuration()) limiter.degraded = true;
    if (!Admit(limiter, &suppressed)) return;
  }
  // A stream that served and was closed by the server (routine) is reopened at once: not a warning.
  const Severity severity = event.permanent ? Severity::kError
                            : event.status.ok() || event.retry_in == absl::ZeroDuration() ? Severity::kInfo
                                                                                           : Severity::kWarning;
  log_.Log(severity,
           event.permanent    ? "StreamingPull stream failed; the subscription, credentials or IAM role need fixing"
           : event.status.ok() ? "StreamingPull stream ended by the server"
                               : "StreamingPull stream failed",
           {{"subscription", subscription_},
            {"pubsub_endpoint", endpoint_},
            {"stream", event.stream},
            {"code", code},
            {"error", std::string(event.status.message())},
            {"attempt", event.attempt},
            {"permanent", event.permanent},
            {"retry_in_s", absl::ToDoubleSeconds(event.retry_in)},
            {"suppressed", suppressed}});
}

void SubscriberEventLog::OnAckFailure(const pubsub::AckFailureEvent& event) {
  const bool is_ack = event.rpc == pubsub::AckFailureEvent::Rpc::kAcknowledge;
  const absl::string_view rpc = is_ack ? metrics::kRpcAcknowledge : metrics::kRpcModifyAckDeadline;
  const std::string code = absl::StatusCodeToString(event.status.code());
  metrics_.AckFailure(rpc, code, event.ack_ids);
  std::int64_t suppressed = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!Admit(ack_rpcs_[is_ack ? 0 : 1], &suppressed)) return;
  }
  log_.Warning(is_ack ? "Acknowledge failed; the messages will be redelivered"
                      : "ModifyAckDeadline failed; the leases run out at their last deadline",
               {{"subscription", subscription_},
                {"pubsub_endpoint", endpoint_},
                {"rpc", std::string(rpc)},
                {"code", code},
                {"error", std::string(event.status.message())},
                {"ack_ids", event.ack_ids},
                {"deadline_s", event.deadline_seconds},
                {"suppressed", suppressed}});
}

}  // namespace schedsvc::service
