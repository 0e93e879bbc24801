// ExponentialBackoff: delays for retry loops (stream reconnects, publish retries, backend retries).
// The ceiling grows from `initial` by `multiplier` per failure up to `maximum`; each delay is drawn with
// full jitter, uniformly from [ceiling * (1 - jitter), ceiling], so many clients failing together do not
// retry in lock-step. Pure logic: no clock, no threads; randomness comes from an injected absl::BitGenRef.
// Not thread-safe: one instance per retry loop.
#ifndef SCHEDSVC_COMMON_BACKOFF_POLICY_H_
#define SCHEDSVC_COMMON_BACKOFF_POLICY_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace schedsvc {

struct BackoffOptions {
  // First ceiling. Default 100 ms; > 0.
  absl::Duration initial = absl::Milliseconds(100);
  // Largest ceiling. Default 60 s; >= initial.
  absl::Duration maximum = absl::Seconds(60);
  // Growth per failure. Default 1.3; >= 1.
  double multiplier = 1.3;
  // Fraction of the ceiling that is randomised: 1.0 is full jitter, 0 none. Default 1.0; in [0, 1].
  double jitter = 1.0;
};

class ExponentialBackoff {
 public:
  explicit ExponentialBackoff(BackoffOptions options);

  // Returns the delay before the next attempt and grows the ceiling.
  absl::Duration NextDelay(absl::BitGenRef gen);

  // Returns the ceiling the next NextDelay() will draw under.
  absl::Duration current_ceiling() const { return ceiling_; }

  // Resets to the initial ceiling (after a success).
  void Reset() { ceiling_ = options_.initial; }

 private:
  BackoffOptions options_;
  absl::Duration ceiling_;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_BACKOFF_POLICY_H_
