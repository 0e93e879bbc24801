// CronSchedule: a job's schedule (unix-cron or English-like) in its time zone, answering "when does it fire
// next?". The scheduler loop and the REST layer use it to validate `schedule`/`timeZone` and to compute
// `scheduleTime`.
//
// Schedules are wall-clock times in the job's time zone (tz database via absl::LoadTimeZone; needs tzdata).
// Granularity is one minute: every fire time is the start of a minute of local time.
//
// Daylight-saving rule (Vixie cron's, applied to every schedule alike): each local minute the schedule selects
// fires at most once.
//   - SKIPPED: a selected local time that does not exist because clocks spring forward (02:30 on the US spring
//     day) fires once, right after the gap, at the transition instant (03:00 local). Several selected times in
//     the same gap (`*/15 2 * * *`) all collapse into that single firing.
//   - REPEATED: a selected local time that occurs twice because clocks fall back (01:30 on the US autumn day)
//     fires once, at its first occurrence (01:30 in the daylight-time offset). Consequence: an interval
//     schedule such as `*/15 * * * *` fires through the first pass of the repeated hour and then not again
//     until the local clock passes the end of the repeated span (02:00 local), a gap of one hour plus the
//     interval in real time (30 minutes for Lord Howe's half-hour shift).
// Formally, local minute m maps to the instant tz.At(m).pre for UNIQUE and REPEATED minutes and
// tz.At(m).trans for SKIPPED ones; this map never decreases, so fire instants come out in order.
//
// A value type; immutable after Parse and safe to share between threads.
#ifndef SCHEDSVC_SCHEDULER_SCHEDULE_CRON_SCHEDULE_H_
#define SCHEDSVC_SCHEDULER_SCHEDULE_CRON_SCHEDULE_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/scheduler/schedule/cron_expression.h"

namespace schedsvc::scheduler {

class CronSchedule {
 public:
  // The message of every Parse error, word for word what Cloud Scheduler answers.
  static constexpr absl::string_view kInvalidMessage = "Schedule or time zone is invalid.";

  // Parses `schedule` (English-like when it starts with "every", unix-cron otherwise) and loads `time_zone`
  // (a tz database name such as "Europe/London" or "Etc/UTC"; empty means UTC). On failure returns
  // kInvalidArgument with message kInvalidMessage; the specific reason ("hour field \"25\": ...", "unknown
  // time zone \"Mars/Base\"") is attached as a payload, read it with ErrorDetail().
  static absl::StatusOr<CronSchedule> Parse(absl::string_view schedule, absl::string_view time_zone);

  // Returns the specific reason attached to a Parse error, or "" when there is none.
  static std::string ErrorDetail(const absl::Status& status);

  // Returns the first fire time strictly after `after` (see the DST rule above). Parse guarantees the
  // schedule fires at least once every 400 years, so the result is always finite for finite `after`;
  // absl::InfiniteFuture() is returned only for an `after` beyond the civil-time range.
  absl::Time NextAfter(absl::Time after) const;

  // Returns the last fire time at or before `at` (same rule), e.g. to find the latest run missed while the
  // emulator was down without walking every fire time since. Returns absl::InfinitePast() when there is none
  // in the 400 years before `at`; an infinite `at` is returned unchanged.
  absl::Time LastAtOrBefore(absl::Time at) const;

  // The schedule text given to Parse, unchanged.
  const std::string& schedule() const { return schedule_; }
  // The time zone name given to Parse, unchanged (may be empty, meaning UTC).
  const std::string& time_zone() const { return time_zone_; }
  // The parsed expression (for English-like schedules, the translated cron).
  const CronExpression& expression() const { return expression_; }
  const absl::TimeZone& zone() const { return zone_; }

 private:
  CronSchedule(std::string schedule, std::string time_zone, CronExpression expression, absl::TimeZone zone)
      : schedule_(std::move(schedule)),
        time_zone_(std::move(time_zone)),
        expression_(std::move(expression)),
        zone_(zone) {}

  // Returns the instant local minute `m` fires at under the DST rule.
  absl::Time FireInstant(absl::CivilMinute m) const;

  std::string schedule_;
  std::string time_zone_;
  CronExpression expression_;
  absl::TimeZone zone_;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SCHEDULE_CRON_SCHEDULE_H_
