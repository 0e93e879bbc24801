// DemoBackend: the small backend the local pipeline and the integration tests call instead of a real
// API. It checks HTTP Basic auth (401 otherwise), records every call (message id from Idempotency-Key,
// X-Delivery-Attempt, method, path, time, status answered) and can misbehave on purpose: a fraction of
// calls answered with a failure status, added latency, fixed statuses for given paths. All of that can be
// changed while it runs, so a test can take the backend "down" and bring it back.
//
// Control endpoints (no auth, never recorded):
//   GET  /_calls   JSON array of recorded calls
//   GET  /_stats   JSON counts: calls, by_status, unique_messages, messages_succeeded,
//                  duplicate_successes (messages answered 2xx more than once), unauthorized
//   POST /_reset   forget recorded calls
//   GET  /_config  current behaviour;  POST /_config  JSON with any of fail_rate, fail_status,
//                  latency ("2s"), status_for_path ({"/bad": 400}, replaces the map)
// Every other path and method (GET, POST, PUT, PATCH, DELETE) is "the API".
//
// Requests are bounded (http_server_limits.h): bodies up to `max_request_bytes`, read/idle timeouts, one
// request per connection. The password never appears in a response, log line or error. Thread-safe; the
// server runs its own threads (one per connection, up to `threads`).
#ifndef SCHEDSVC_DEMO_BACKEND_DEMO_BACKEND_H_
#define SCHEDSVC_DEMO_BACKEND_DEMO_BACKEND_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace schedsvc::demo_backend {

// The default request body limit: 10 MiB, at least the largest body the service sends (a backend's
// max_body_bytes is at most 10 MB) and bounded, so a careless client cannot make the backend buffer
// without end.
inline constexpr std::size_t kDemoBackendMaxRequestBytes = 10 * 1024 * 1024;

struct DemoBackendBehavior {
  // Fraction of API calls answered with fail_status. Default 0; [0, 1].
  double fail_rate = 0.0;
  // Status for the failing fraction. Default 503; 100-599.
  int fail_status = 503;
  // Added before every API answer. Default 0; >= 0.
  absl::Duration latency = absl::ZeroDuration();
  // Exact request path (without query) -> status, checked before fail_rate.
  std::map<std::string, int> status_for_path;
};

struct DemoBackendOptions {
  // Address to listen on. Port 0 picks a free one (see DemoBackend::port()).
  std::string host = "127.0.0.1";
  int port = 8087;
  // Credential files for the expected Basic auth (re-read when they change). Both empty: no auth.
  std::string username_file;
  std::string password_file;
  DemoBackendBehavior behavior;
  // Connections served at once, each on its own thread (each blocks for `latency` on a slow call);
  // further connections wait. Default 64; >= 1.
  int threads = 64;
  // Largest request body; a larger Content-Length gets 413 (read and discarded, never stored), a body
  // without a Content-Length (Transfer-Encoding) gets 411. Default kDemoBackendMaxRequestBytes; >= 1.
  std::size_t max_request_bytes = kDemoBackendMaxRequestBytes;
  // Calls kept for /_calls; counts in /_stats continue past it. Default 1,000,000.
  std::size_t max_recorded_calls = 1'000'000;
};

struct DemoCall {
  std::string message_id;  // Idempotency-Key ("" if absent)
  int attempt = 0;         // X-Delivery-Attempt (0 if absent)
  std::string method;
  std::string path;
  int status = 0;  // what the backend answered
  absl::Time time;
};

// Returns "PATH=STATUS" parsed, e.g. "/bad=400" -> {"/bad", 400}. kInvalidArgument names the problem.
absl::StatusOr<std::pair<std::string, int>> ParseStatusForPath(absl::string_view text);

// Returns `base` with the fields present in the JSON object `json` replaced. kInvalidArgument names a
// malformed field.
absl::StatusOr<DemoBackendBehavior> ApplyBehaviorJson(absl::string_view json,
                                                      DemoBackendBehavior base);

class DemoBackend {
 public:
  // Binds and starts serving. kInvalidArgument for bad options, kUnavailable if the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<DemoBackend>> Start(DemoBackendOptions options);

  ~DemoBackend();
  DemoBackend(const DemoBackend&) = delete;
  DemoBackend& operator=(const DemoBackend&) = delete;

  // The bound port.
  int port() const;
  // Stops serving and joins the server thread. Idempotent.
  void Stop();

  std::vector<DemoCall> calls() const;
  void SetBehavior(DemoBackendBehavior behavior);
  DemoBackendBehavior behavior() const;

 private:
  class Impl;
  explicit DemoBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace schedsvc::demo_backend

#endif  // SCHEDSVC_DEMO_BACKEND_DEMO_BACKEND_H_
