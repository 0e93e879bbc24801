// Clock: the one source of "now" for schedule-service. Components take a `Clock&` so tests can inject a
// FakeClock (testing/fake_clock.h) and drive time without sleeping. Only SystemClock and SteadyClock read
// the real time.
//
// Two real clocks, for two uses (STYLE §5):
//   SystemClock  the wall clock: timestamps that leave the process (log lines, publish and schedule
//                times, end-to-end latency measured from a server's publish time).
//   SteadyClock  monotonic: every timer, deadline and budget inside the process (executor timers, ack
//                flush, lease refresh, backoffs, reconnects, a message's time budget). A wall-clock step
//                (NTP, a VM resumed) cannot move it.
#ifndef SCHEDSVC_COMMON_CLOCK_H_
#define SCHEDSVC_COMMON_CLOCK_H_

#include <chrono>

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

// The monotonic clock (std::chrono::steady_clock), expressed as an absl::Time that starts at the wall time
// of the first SteadyClock made in the process and then only moves forward with steady_clock. Every
// SteadyClock of a process reads the same. Readings are close to wall time (so a stray one in a log is still
// readable) but are not wall time: compare them only with other SteadyClock readings. Thread-safe.
class SteadyClock final : public Clock {
 public:
  SteadyClock();
  absl::Time Now() const override;

 private:
  const absl::Time wall_at_start_;
  const std::chrono::steady_clock::time_point steady_at_start_;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_CLOCK_H_
