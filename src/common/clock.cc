#include "src/common/clock.h"

#include "absl/time/clock.h"

namespace schedsvc {

absl::Time SystemClock::Now() const { return absl::Now(); }

namespace {

// One anchor per process, so every SteadyClock reads the same: a subscriber's receive times and the
// dispatcher's budgets may come from different instances.
struct Anchor {
  absl::Time wall = absl::Now();
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
};

const Anchor& ProcessAnchor() {
  static const Anchor anchor;
  return anchor;
}

}  // namespace

SteadyClock::SteadyClock()
    : wall_at_start_(ProcessAnchor().wall), steady_at_start_(ProcessAnchor().steady) {}

absl::Time SteadyClock::Now() const {
  return wall_at_start_ + absl::FromChrono(std::chrono::steady_clock::now() - steady_at_start_);
}

}  // namespace schedsvc
