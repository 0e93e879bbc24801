#include "src/common/backoff_policy.h"

#include <algorithm>

#include "absl/random/distributions.h"

namespace schedsvc {

ExponentialBackoff::ExponentialBackoff(BackoffOptions options)
    : options_(options), ceiling_(options.initial) {}

absl::Duration ExponentialBackoff::NextDelay(absl::BitGenRef gen) {
  const absl::Duration ceiling = ceiling_;
  ceiling_ = std::min(options_.maximum, ceiling_ * options_.multiplier);
  const double ceiling_s = absl::ToDoubleSeconds(ceiling);
  const double low = ceiling_s * (1.0 - options_.jitter);
  if (low >= ceiling_s) return ceiling;
  return absl::Seconds(absl::Uniform(absl::IntervalClosedClosed, gen, low, ceiling_s));
}

}  // namespace schedsvc
