// PushServer: the HTTP endpoint a Pub/Sub push subscription calls (ingest: push). Each request becomes
// one pubsub::Message handed to the dispatch stage (the same MessageDispatcher as pull), and the HTTP
// answer is Pub/Sub's ack or nack. Per request, in this order:
//
//   path and method        other path: 404; other method on push.path: 405 (bad_request)
//   shutting down?         503 (unavailable), before anything is read
//   PushAuthenticator      401 no token (unauthenticated) / 403 bad token (forbidden) / 503 keys unavailable
//                          (unavailable); before the body is read; logged without the token
//   body                   read up to Pub/Sub's message size plus the envelope's overhead (larger: 413,
//                          bad_request); a body without Content-Length: 411 (bad_request)
//   service full?          flow_control.max_outstanding_messages messages in the service: 429 at once
//                          (service_full)
//   parse (push_envelope)  neither a wrapped envelope nor an unwrapped message: 400 (bad_request)
//   dispatch, wait         the request's thread waits for the settle (PushAckHandle), at most
//                          push.ack_deadline minus a margin from receipt: ack -> 204 (acked); nack -> 503
//                          (nacked); no settle in time, or abandoned at shutdown -> 503 (unavailable)
//
// Every answer is counted in schedsvc_push_requests_total{result}. cpp-httplib with the project's limits
// (http_server_limits.h): a thread per connection up to a bound sized for max_outstanding_messages
// waiting requests, read/write timeouts, one request per connection. Thread-safe.
#ifndef SCHEDSVC_PUSH_PUSH_SERVER_H_
#define SCHEDSVC_PUSH_PUSH_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/common/log_rate_limit.h"
#include "src/metrics/service_metrics.h"
#include "src/pubsub/ack_handle.h"
#include "src/pubsub/message.h"
#include "src/push/push_ack_handle.h"
#include "src/push/push_authenticator.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace schedsvc::push {

struct PushServerOptions {
  // host:port to listen on (port 0 picks one). Required.
  std::string listen;
  // The endpoint's path (push.path). Default /pubsub/push.
  std::string path = "/pubsub/push";
  // The push subscription's ack deadline: a request is answered before it. Default 60s; 10s-600s.
  absl::Duration ack_deadline = absl::Seconds(60);
  // Messages in the service at once; a request beyond it is answered 429. Default 1000; >= 1.
  std::int64_t max_outstanding_messages = 1000;
  // The configured subscription, for logs.
  std::string subscription;
};

// Takes one pushed message and settles its handle exactly once (MessageDispatcher::Dispatch).
using PushHandler = std::function<void(pubsub::Message, pubsub::AckHandle)>;

class PushServer {
 public:
  // `authenticator` null means push.auth: none (every request is let through). `steady` stamps each
  // message's receive_time (the dispatcher's budget clock). References must outlive this.
  PushServer(PushServerOptions options, PushAuthenticator* authenticator, PushHandler handler, Clock& steady,
             metrics::ServiceMetrics& metrics, JsonLogger& log);
  ~PushServer();

  // Binds and starts serving. kInvalidArgument for a malformed address, kUnavailable when it cannot bind.
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  // True between a successful Start() and Stop().
  bool listening() const { return listening_.load(); }
  // Requests arriving from now on are answered 503 (Pub/Sub retries them elsewhere or later).
  void StopAccepting();
  // Answers 503 to every request still waiting for its settle, now.
  void AbandonWaiting();
  // Stops listening and joins the connection threads (answering waiting requests 503 first).
  void Stop();

 private:
  // The pre-routing step: path, method, shutdown and authentication, before the body is read.
  bool Admit(const httplib::Request& req, httplib::Response& res);
  void HandlePush(const httplib::Request& req, httplib::Response& res);
  void Answer(httplib::Response& res, int status, absl::string_view result, absl::string_view text);
  std::string RandomId();
  // Logs a refused request at WARNING: at most one line per `kind` per kRefusalLogInterval, carrying the
  // refusals of that kind left out since ("suppressed"); the metrics count every one.
  void LogRefusal(absl::string_view kind, absl::string_view message, nlohmann::json fields);

  const PushServerOptions options_;
  PushAuthenticator* const authenticator_;
  const PushHandler handler_;
  Clock& steady_;
  metrics::ServiceMetrics& metrics_;
  JsonLogger& log_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> listening_{false};
  std::atomic<bool> accepting_{true};
  // Messages dispatched and not yet released (PushAckHandle's on_release); shared with the handles,
  // which may outlive a request.
  std::shared_ptr<std::atomic<std::int64_t>> in_service_ = std::make_shared<std::atomic<std::int64_t>>(0);

  absl::Mutex mu_;
  // Requests waiting for their settle.
  absl::flat_hash_set<std::shared_ptr<PushAckHandle>> waiting_ ABSL_GUARDED_BY(mu_);
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  // One per kind of refused request (LogRefusal's `kind`).
  absl::flat_hash_map<std::string, LogRateLimit> refusal_lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::push

#endif  // SCHEDSVC_PUSH_PUSH_SERVER_H_
