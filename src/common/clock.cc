#include "src/common/clock.h"

#include "absl/time/clock.h"

namespace schedsvc {

absl::Time SystemClock::Now() const { return absl::Now(); }

SteadyClock::SteadyClock() : wall_at_start_(absl::Now()), steady_at_start_(std::chrono::steady_clock::now()) {}

absl::Time SteadyClock::Now() const {
  return wall_at_start_ + absl::FromChrono(std::chrono::steady_clock::now() - steady_at_start_);
}

}  // namespace schedsvc
