// Backend: everything about one configured backend, built once from its config: the config itself, the
// request builder (credentials, message -> HttpRequest), and the delivery policy state the
// MessageDispatcher keeps per backend: the circuit breaker, the concurrency limiter, the retry schedule
// and the count of messages held while its circuit is open.
//
// Routing (backend_router.h) resolves a message to its Backend once per delivery; every attempt of
// that delivery uses the same object. Transport stays outside: the HttpClient is the dispatcher's, so
// a Backend decides nothing and sends nothing by itself.
//
// Owned by the BackendRouter (one per entry of ServiceConfig::backends); not copyable or movable, so
// the pointers a delivery keeps stay valid. Thread-safe: its parts are (each under its own lock or
// atomic). The Clock must outlive it.
#ifndef SCHEDSVC_DISPATCH_BACKEND_H_
#define SCHEDSVC_DISPATCH_BACKEND_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"
#include "src/dispatch/backend_request.h"
#include "src/dispatch/circuit_breaker.h"
#include "src/dispatch/concurrency_limiter.h"
#include "src/dispatch/http_client.h"
#include "src/dispatch/retry_schedule.h"
#include "src/dispatch/secret_file.h"
#include "src/pubsub/message.h"

namespace schedsvc::dispatch {

class Backend {
 public:
  // `config` must be a valid backend (the config loader checks it). `clock` is the steady clock the
  // breaker's window and cool-down run on, and the one credential files are re-checked by; credential
  // files are not read until the first BuildRequest(); `recheck_interval` bounds how long a rotated
  // secret takes to be noticed.
  Backend(config::BackendConfig config, const Clock& clock,
          absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const config::BackendConfig& config() const { return config_; }
  // The configured name (a metric label and a log field).
  const std::string& name() const { return config_.name; }

  // Returns the request for attempt number `attempt` (1-based) of `message`, which routes here; errors
  // as BackendRequestBuilder::Build().
  absl::StatusOr<HttpRequest> BuildRequest(const pubsub::Message& message, int attempt) const {
    return request_builder_.Build(message, attempt);
  }

  CircuitBreaker& breaker() { return breaker_; }
  const CircuitBreaker& breaker() const { return breaker_; }
  ConcurrencyLimiter& limiter() { return limiter_; }
  const RetrySchedule& schedule() const { return schedule_; }

  // Messages held now while the circuit is open (the bound is circuit_breaker.max_held_messages).
  int held() const { return held_.load(); }
  // Counts one more held message unless `max_held` (> 0) are held already; false then. The check and the
  // increment are one step, so threads holding at once never pass a full hold. max_held <= 0: no bound.
  bool TryAddHeld(int max_held) {
    int held = held_.load();
    do {
      if (max_held > 0 && held >= max_held) return false;
    } while (!held_.compare_exchange_weak(held, held + 1));
    return true;
  }
  // Counts one fewer held message.
  void RemoveHeld() { held_.fetch_sub(1); }

 private:
  // Declared first: the request builder keeps a reference to it.
  const config::BackendConfig config_;
  const BackendRequestBuilder request_builder_;
  CircuitBreaker breaker_;
  ConcurrencyLimiter limiter_;
  const RetrySchedule schedule_;
  std::atomic<int> held_{0};
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_BACKEND_H_
