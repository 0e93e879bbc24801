// ScheduleService: one schedule-service process, assembled from its config: the Pub/Sub subscriber, the
// message dispatcher (HTTP client, circuit breakers, retries, dead-letter publisher), metrics, JSON logs
// and the admin server. Owns the start-up and shutdown order (DESIGN §3):
//   Start:    admin server (not ready) -> subscriber streams -> ready once a stream is connected
//             (every stream failure and ack failure is logged, rate-limited, and counted: SubscriberEventLog)
//   Shutdown: not ready -> streams stop taking messages -> in-flight work gets shutdown_grace ->
//             everything unsettled is nacked -> ack RPCs flushed -> HTTP client and publisher stopped.
// With ingest: push there is no subscriber; the push endpoint (src/push/push_server.h) feeds the same
// dispatcher:
//   Start:    admin server (not ready) -> push listener -> ready while it listens
//   Shutdown: not ready -> new push requests answered 503 -> in-flight requests get shutdown_grace ->
//             the requests still waiting are answered 503 (Pub/Sub redelivers) -> listener stopped ->
//             HTTP client and publisher stopped.
#ifndef SCHEDSVC_SERVICE_SCHEDULE_SERVICE_H_
#define SCHEDSVC_SERVICE_SCHEDULE_SERVICE_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/common/thread_executor.h"
#include "src/config/service_config.h"
#include "src/dispatch/curl_http_client.h"
#include "src/dispatch/dead_letter_publisher.h"
#include "src/dispatch/message_dispatcher.h"
#include "src/dispatch/recent_deliveries.h"
#include "src/metrics/service_metrics.h"
#include "src/pubsub/subscriber.h"
#include "src/push/push_authenticator.h"
#include "src/push/push_server.h"
#include "src/service/admin_server.h"
#include "src/service/subscriber_event_log.h"

namespace schedsvc::service {

class ScheduleService {
 public:
  // Builds every part; nothing runs yet. Errors name what could not be built.
  static absl::StatusOr<std::unique_ptr<ScheduleService>> Create(config::ServiceConfig config, JsonLogger& log);
  ~ScheduleService();

  // Starts the admin server and the streams. kUnavailable if the admin port cannot be bound.
  absl::Status Start();
  // Graceful shutdown, as above. Idempotent.
  void Shutdown();

  bool ready() const;
  // ready(), and when not, why: shutting down, or no stream connected and each stream's last error.
  Readiness readiness() const;
  int admin_port() const { return admin_->port(); }
  // The push endpoint's bound port (ingest: push, after Start); 0 otherwise.
  int push_port() const { return push_server_ ? push_server_->port() : 0; }

 private:
  ScheduleService(config::ServiceConfig config, JsonLogger& log);
  void BeforeScrape();
  // Start() with ingest: push: the push listener instead of the streams.
  absl::Status StartPush();
  // Start-up checks; each logs what it finds and never stops the service. Logs at ERROR every backend
  // credential file that cannot be used now (empty, missing, unreadable), naming backend and file, never
  // the contents: calls to that backend fail until the file is fixed (it is re-read when it changes).
  void CheckCredentialFiles();
  // Looks the dead_letter_topic up (GetTopic): NOT_FOUND is logged at ERROR (permanent failures are then
  // nacked with a delay instead of dead-lettered), another error at WARNING (not verified), an existing
  // topic at INFO. Blocks for at most one RPC timeout; runs on dead_letter_check_.
  void CheckDeadLetterTopic();

  const config::ServiceConfig config_;
  JsonLogger& log_;
  SystemClock clock_;
  // Timers, budgets, backoffs and log rate limits (a wall-clock step moves none of them).
  SteadyClock steady_clock_;
  std::unique_ptr<metrics::ServiceMetrics> metrics_;
  // The admin port's /debug/deliveries; null with admin.recent_deliveries: 0. Outlives the dispatcher and
  // the admin server (declared before them).
  std::unique_ptr<dispatch::RecentDeliveries> recent_deliveries_;
  std::unique_ptr<ThreadExecutor> executor_;
  std::unique_ptr<dispatch::CurlHttpClient> http_;
  std::unique_ptr<dispatch::DeadLetterPublisher> dead_letters_;
  std::unique_ptr<dispatch::MessageDispatcher> dispatcher_;
  std::unique_ptr<SubscriberEventLog> subscriber_events_;
  std::unique_ptr<pubsub::Subscriber> subscriber_;
  std::unique_ptr<AdminServer> admin_;
  // ingest: push only. The authenticator is null with push.auth: none.
  std::unique_ptr<push::PushAuthenticator> push_authenticator_;
  std::unique_ptr<push::PushServer> push_server_;
  // Runs CheckDeadLetterTopic() once after Start; joined in Shutdown.
  std::thread dead_letter_check_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace schedsvc::service

#endif  // SCHEDSVC_SERVICE_SCHEDULE_SERVICE_H_
