#include "src/common/clock.h"

#include "absl/time/clock.h"

namespace schedsvc {

absl::Time SystemClock::Now() const { return absl::Now(); }

}  // namespace schedsvc
