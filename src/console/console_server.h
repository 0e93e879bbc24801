// ConsoleServer: the local pipeline's console (docs/console.md, docs/schedctl.md "## up"), started by
// `schedctl up` in its own process. cpp-httplib on 127.0.0.1 only, request sizes and timeouts bounded
// (http_server_limits.h), requests checked by request_guard.h. Serves the page built into the binary
// (console_assets.h) and a same-origin JSON API that forwards to the pipeline's parts:
//   GET  /, /index.html, /app.js, /style.css      the page (no-store; CSP: own origin only, never framed)
//   GET  /api/config                               what `up` set up (project, location, topic, ...)
//   GET|POST|PATCH|DELETE /api/scheduler/<rest>    scheduler emulator /<rest> (<rest>: v1/..., emulator/v1/...)
//   GET  /api/service/deliveries?<query>           admin port /debug/deliveries?<query>
//   GET  /api/service/metrics                      admin port /metrics
//   GET  /api/health                               every component's health (health_probe.h)
//   GET  /api/deadletters, POST /api/deadletters/replay   dead_letter_view.h
//   GET|POST /api/demo-backend/config              demo backend /_config
// Upstream answers pass through unchanged; an upstream that does not answer is a 502 {"error": ...}.
// The routing lives here; what may be forwarded, how, and the dead-letter work live in their own files.
// Start() once, Stop() once (also by the destructor). Thread-safe.
#ifndef SCHEDSVC_CONSOLE_CONSOLE_SERVER_H_
#define SCHEDSVC_CONSOLE_CONSOLE_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/console/dead_letter_view.h"
#include "src/console/health_probe.h"
#include "src/console/upstream_proxy.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace schedsvc::console {

// What GET /api/config answers: the pipeline `up` set up, and the job form's defaults.
struct ConsoleConfig {
  std::string project = "local-project";
  std::string location = "us-central1";
  std::string topic;                     // full name of the jobs' topic
  std::string dead_letter_subscription;  // full name of the dead-letter inspection subscription
  std::string ingest = "pull";           // "pull" or "push"
};

struct ConsoleOptions {
  // Port on 127.0.0.1. Default 8089; 0 = any free port (see port()).
  int port = 8089;
  ConsoleConfig config;
  // Upstreams; port 0 = not running (its routes answer 502, health leaves it out).
  UpstreamAddress pubsub;
  UpstreamAddress scheduler;
  UpstreamAddress admin;
  UpstreamAddress demo_backend;
  // Bounds connecting to and each read from an upstream. Default 5 s; > 0.
  absl::Duration upstream_timeout = absl::Seconds(5);
  // Bounds each health probe. Default 1 s; > 0.
  absl::Duration health_timeout = absl::Seconds(1);
  // Largest request body (a job, a replay request). Default 1 MiB; > 0.
  std::size_t max_request_bytes = 1024 * 1024;
};

class ConsoleServer {
 public:
  // `dead_letters` may be null (the dead-letter routes then answer 404); it must outlive the server.
  ConsoleServer(ConsoleOptions options, DeadLetterView* dead_letters);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  // Binds 127.0.0.1:options.port and serves on a thread of its own. kUnavailable naming the address when
  // it cannot bind.
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  // Stops accepting and waits for the connections being served (an idle one until the read timeout, 5 s;
  // one that trickles a request for as long as it trickles), then joins the thread. Idempotent.
  void Stop();

 private:
  void Route();
  void ServeAsset(const std::string& path, httplib::Response& res) const;
  void Forward(const UpstreamProxy& upstream, const std::string& target, const httplib::Request& req,
               httplib::Response& res) const;
  void ForwardScheduler(const httplib::Request& req, httplib::Response& res) const;

  const ConsoleOptions options_;
  DeadLetterView* const dead_letters_;
  const UpstreamProxy scheduler_;
  const UpstreamProxy admin_;
  const UpstreamProxy demo_backend_;
  const HealthProbe health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_CONSOLE_SERVER_H_
