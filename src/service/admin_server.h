// AdminServer: the admin port of schedule-service (admin.listen): /healthz (the process is alive),
// /readyz (200 "ready" only while `readiness()` says so: a stream connected and not shutting down; else
// 503 "not ready: <reason>") and /metrics
// (Prometheus text from the registry, after `before_scrape` refreshes pulled figures), and
// /debug/deliveries (the recent-deliveries ring as JSON, deliveries_endpoint.h; 404 when there is no ring,
// 400 for a bad query; when `listen` is loopback, 403 unless the Host header names loopback, against DNS
// rebinding: loopback_host.h). cpp-httplib on its own thread. Thread-safe.
#ifndef SCHEDSVC_SERVICE_ADMIN_SERVER_H_
#define SCHEDSVC_SERVICE_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "prometheus/registry.h"
#include "src/dispatch/recent_deliveries.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace schedsvc::service {

// What /readyz answers: ready, or not and why (one line, no secrets).
struct Readiness {
  bool ready = false;
  std::string reason;
};

class AdminServer {
 public:
  AdminServer(std::shared_ptr<prometheus::Registry> registry, std::function<Readiness()> readiness,
              std::function<void()> before_scrape);
  // As above, with no reason in the /readyz body.
  AdminServer(std::shared_ptr<prometheus::Registry> registry, std::function<bool()> ready,
              std::function<void()> before_scrape);
  ~AdminServer();

  // Serves `recent` on /debug/deliveries (null: answered 404, the ring is off). Call before Start();
  // `recent` must outlive this.
  void ServeRecentDeliveries(const dispatch::RecentDeliveries* recent) { recent_ = recent; }

  // Binds `listen` ("host:port"; port 0 picks one) and starts serving. kInvalidArgument for a malformed
  // address, kUnavailable when it cannot bind (the message names the address).
  absl::Status Start(const std::string& listen);
  // The bound port (after Start).
  int port() const { return port_; }
  void Stop();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::function<Readiness()> readiness_;
  std::function<void()> before_scrape_;
  const dispatch::RecentDeliveries* recent_ = nullptr;
  // Set by Start(): the listen host is loopback, so /debug/deliveries checks the Host header.
  bool debug_needs_loopback_host_ = false;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" (also "[v6]:port"). kInvalidArgument naming the text when malformed.
absl::Status ParseHostPort(const std::string& text, std::string* host, int* port);

}  // namespace schedsvc::service

#endif  // SCHEDSVC_SERVICE_ADMIN_SERVER_H_
