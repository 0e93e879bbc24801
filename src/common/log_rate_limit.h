// LogRateLimit: at most one log line per interval for one kind of repeated event, with the number of events
// left out since the last line (the count goes into that line, as "suppressed"). Metrics stay exact; only
// the lines are thinned, so an event that repeats at any rate (a failing stream, a stream of refused
// requests) can neither flood the log nor crowd out other lines. A plain value: the caller guards it.
#ifndef SCHEDSVC_COMMON_LOG_RATE_LIMIT_H_
#define SCHEDSVC_COMMON_LOG_RATE_LIMIT_H_

#include <cstdint>
#include <utility>

#include "absl/time/time.h"

namespace schedsvc {

class LogRateLimit {
 public:
  // Returns whether the event at `now` gets a line (none in the `interval` before it did), and then sets
  // `*suppressed` to the events left out since the last line.
  bool Admit(absl::Time now, absl::Duration interval, std::int64_t* suppressed) {
    if (now - last_logged_ >= interval) {
      *suppressed = std::exchange(suppressed_, 0);
      last_logged_ = now;
      return true;
    }
    ++suppressed_;
    return false;
  }
  // Returns the events left out since the last line and starts counting again (for a closing line of
  // another kind, e.g. "recovered", that reports them).
  std::int64_t TakeSuppressed() { return std::exchange(suppressed_, 0); }

 private:
  absl::Time last_logged_ = absl::InfinitePast();
  std::int64_t suppressed_ = 0;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_LOG_RATE_LIMIT_H_
