// The next fire times of a job, for the emulator's nextScheduleTimes extension
// (rest/emulator_extensions_handler.h): the job's schedule (unix-cron or English-like) in its time zone,
// computed by the same CronSchedule the scheduler loop fires with, so DST is handled by the same rule (see
// schedule/cron_schedule.h). The job's state is not consulted: a paused job gets the times it would fire
// at once resumed. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_NEXT_SCHEDULE_TIMES_H_
#define SCHEDSVC_SCHEDULER_NEXT_SCHEDULE_TIMES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/scheduler/job.h"

namespace schedsvc::scheduler {

// How many fire times a request gets when it names no count, and the range it may ask for.
inline constexpr int kDefaultNextScheduleTimes = 10;
inline constexpr int kMinNextScheduleTimes = 1;
inline constexpr int kMaxNextScheduleTimes = 100;

// The time zone reported for a job without timeZone (Cloud Scheduler's default).
inline constexpr char kDefaultJobTimeZone[] = "Etc/UTC";

struct ScheduledFireTime {
  absl::Time time;
  // The same instant as RFC 3339 with the job's zone offset at that instant ("2026-03-29T03:00:00+02:00").
  std::string local_time;
};

struct NextScheduleTimes {
  // The job's timeZone, or kDefaultJobTimeZone when it has none.
  std::string time_zone;
  // Strictly after now, earliest first.
  std::vector<ScheduledFireTime> times;
};

// Returns the first `count` fire times of `job` strictly after `clock.Now()`. kInvalidArgument when `count`
// is outside [kMinNextScheduleTimes, kMaxNextScheduleTimes] (the message names the range) or the job's
// schedule or time zone does not parse (CronSchedule's message). `clock` is not kept.
absl::StatusOr<NextScheduleTimes> ComputeNextScheduleTimes(const Job& job, const Clock& clock, int count);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_NEXT_SCHEDULE_TIMES_H_
