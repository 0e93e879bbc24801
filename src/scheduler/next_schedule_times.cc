#include "src/scheduler/next_schedule_times.h"

#include "absl/strings/str_cat.h"
#include "src/scheduler/schedule/cron_schedule.h"

namespace schedsvc::scheduler {

absl::StatusOr<NextScheduleTimes> ComputeNextScheduleTimes(const Job& job, const Clock& clock, int count) {
  if (count < kMinNextScheduleTimes || count > kMaxNextScheduleTimes) {
    return absl::InvalidArgumentError(absl::StrCat("count must be between ", kMinNextScheduleTimes, " and ",
                                                   kMaxNextScheduleTimes, ", got ", count, "."));
  }
  absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(job.schedule(), job.time_zone());
  if (!schedule.ok()) return schedule.status();
  NextScheduleTimes out;
  out.time_zone = job.time_zone().empty() ? kDefaultJobTimeZone : job.time_zone();
  out.times.reserve(count);
  absl::Time after = clock.Now();
  for (int i = 0; i < count; ++i) {
    const absl::Time next = schedule->NextAfter(after);
    // Only past the civil-time range; a parsed schedule fires at least every 400 years.
    if (next == absl::InfiniteFuture()) break;
    out.times.push_back({next, absl::FormatTime(absl::RFC3339_sec, next, schedule->zone())});
    after = next;
  }
  return out;
}

}  // namespace schedsvc::scheduler
