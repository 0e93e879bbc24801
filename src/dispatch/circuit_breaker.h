// CircuitBreaker: one per backend. Stops calling a backend that fails persistently, so an outage does
// not burn every message's delivery attempts (DESIGN §3).
//
//   closed    -- failure rate >= failure_rate_threshold over the last `window`, with at least
//                minimum_requests results in it --> open
//             -- consecutive_failures retryable failures in a row, however far apart (a job that
//                fires once a minute never reaches minimum_requests) --> open; any success resets
//                the count (0 disables this rule)
//   open      -- open_duration elapsed --> half-open (on the next AllowRequest)
//   half-open -- allows half_open_probes requests at a time; that many successes --> closed (window
//                cleared); any failure --> open again for open_duration
//
// Only retryable failures (408, 429, 5xx, transport errors) are failures: the dispatcher reports a
// permanent outcome (a 400 is the message's fault, and proves the backend is up) as OnSuccess(). Every
// AllowRequest() that returned true must be followed by exactly one OnSuccess(), OnFailure() or
// OnAbandoned() (the request was never sent, e.g. shutdown), or half-open probe slots leak.
//
// The window is kept as kBuckets time buckets, so memory is constant at any request rate. With
// `enabled: false` the breaker always allows and stays closed.
//
// Pure state machine: time from the injected Clock, no threads, no timers. Thread-safe (absl::Mutex).
// The Clock must outlive the breaker.
#ifndef SCHEDSVC_DISPATCH_CIRCUIT_BREAKER_H_
#define SCHEDSVC_DISPATCH_CIRCUIT_BREAKER_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"

namespace schedsvc::dispatch {

class CircuitBreaker {
 public:
  // Values match the schedsvc_circuit_state gauge (docs/metrics.md).
  enum class State { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

  // Number of buckets the sliding window is divided into.
  static constexpr int kBuckets = 20;

  CircuitBreaker(const config::CircuitBreakerConfig& config, const Clock& clock);

  // Returns true if a request may be sent now (moving open -> half-open once open_duration has
  // passed, and taking a probe slot in half-open).
  bool AllowRequest();
  // Records a response that shows the backend working (2xx, and also permanent 3xx/4xx outcomes).
  void OnSuccess();
  // Records a retryable failure (408, 429, 5xx, connect/TLS/timeout).
  void OnFailure();
  // Releases a permission that was never used.
  void OnAbandoned();

  // Returns the current state (an open circuit whose open_duration has passed still reads kOpen until
  // the next AllowRequest()).
  State state() const;
  // Returns when an open circuit will admit a probe, or InfinitePast() when not open.
  absl::Time open_until() const;

 private:
  struct Bucket {
    std::int64_t index = -1;  // absolute bucket number (time / bucket width); -1 = unused
    int successes = 0;
    int failures = 0;
  };

  void Record(bool failure) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ClearWindow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Open(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::int64_t BucketIndex(absl::Time t) const;

  const config::CircuitBreakerConfig config_;
  const Clock& clock_;
  const absl::Duration bucket_width_;

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int probes_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int probe_successes_ ABSL_GUARDED_BY(mu_) = 0;
  // Retryable failures since the last success (or since the circuit last opened or closed).
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<Bucket, kBuckets> buckets_ ABSL_GUARDED_BY(mu_);
};

// Returns "closed", "half_open" or "open".
absl::string_view CircuitStateName(CircuitBreaker::State state);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_CIRCUIT_BREAKER_H_
