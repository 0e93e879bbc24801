// FakeExecutor: an Executor driven by a FakeClock. Nothing runs until the test calls RunReady() or
// AdvanceTime(); then due closures run on the test's thread in deadline order, like Envoy's
// SimulatedTimeSystem. Closures may schedule more closures. Thread-safe for scheduling.
#ifndef SCHEDSVC_TESTING_FAKE_EXECUTOR_H_
#define SCHEDSVC_TESTING_FAKE_EXECUTOR_H_

#include <cstddef>
#include <functional>
#include <map>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "src/common/executor.h"
#include "testing/fake_clock.h"

namespace schedsvc::testing {

class FakeExecutor final : public Executor {
 public:
  explicit FakeExecutor(FakeClock& clock) : clock_(clock) {}

  TimerId RunAfter(absl::Duration delay, std::function<void()> fn) override;
  bool Cancel(TimerId id) override;

  // Runs every closure due at the current fake time (including ones they schedule for now).
  // Returns how many ran.
  std::size_t RunReady();

  // Moves the clock forward by `d`, stopping at each deadline on the way to run what is due then.
  void AdvanceTime(absl::Duration d);

  // Returns the number of closures waiting.
  std::size_t pending() const;

  // Returns the deadline of the earliest waiting closure, or InfiniteFuture when none.
  absl::Time next_deadline() const;

 private:
  FakeClock& clock_;
  mutable absl::Mutex mu_;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_FAKE_EXECUTOR_H_
