// FakeClock: a Clock that only moves when a test says so. Thread-safe.
#ifndef SCHEDSVC_TESTING_FAKE_CLOCK_H_
#define SCHEDSVC_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "src/common/clock.h"

namespace schedsvc::testing {

class FakeClock final : public Clock {
 public:
  // Starts at a fixed, arbitrary instant so tests are reproducible.
  FakeClock() : now_(absl::FromUnixSeconds(1'700'000'000)) {}
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void SetTime(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void AdvanceTime(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_FAKE_CLOCK_H_
