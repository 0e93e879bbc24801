// Executor: runs closures now or after a delay. The subscriber's timers (lease refresh, ack flush,
// reconnect backoff, watchdog) and the dispatcher's retry timers all go through this interface, so unit
// tests substitute FakeExecutor (testing/fake_executor.h) and advance a FakeClock instead of sleeping.
#ifndef SCHEDSVC_COMMON_EXECUTOR_H_
#define SCHEDSVC_COMMON_EXECUTOR_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace schedsvc {

// Identifies a scheduled closure; 0 is never a valid id.
using TimerId = std::uint64_t;

class Executor {
 public:
  virtual ~Executor() = default;

  // Schedules `fn` to run once, no earlier than `delay` from now (a non-positive delay means "as soon as
  // possible"). Returns an id for Cancel(). Thread-safe; `fn` never runs on the calling thread's stack.
  virtual TimerId RunAfter(absl::Duration delay, std::function<void()> fn) = 0;

  // Schedules `fn` to run as soon as possible.
  TimerId Run(std::function<void()> fn) { return RunAfter(absl::ZeroDuration(), std::move(fn)); }

  // Cancels a closure that has not started yet. Returns true if it was removed, false if it already ran,
  // is running, or was never scheduled.
  virtual bool Cancel(TimerId id) = 0;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_EXECUTOR_H_
