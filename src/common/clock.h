// Clock: the one source of "now" for schedule-service. Components take a `Clock&` so tests can inject a
// FakeClock (testing/fake_clock.h) and drive time without sleeping. Only SystemClock reads the real time.
#ifndef SCHEDSVC_COMMON_CLOCK_H_
#define SCHEDSVC_COMMON_CLOCK_H_

#include "absl/time/time.h"

namespace schedsvc {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// The wall clock. Stateless and thread-safe.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_CLOCK_H_
