// CronExpression: a parsed unix-cron schedule (five fields), the grammar Cloud Scheduler accepts.
//
//   minute  hour  day-of-month  month  day-of-week
//   0-59    0-23  1-31          1-12   0-7 (0 and 7 are Sunday)
//
// Each field is a comma-separated list of items; an item is `*`, a value `a`, or an inclusive range `a-b`,
// optionally followed by a step `/n` (1 <= n <= the field's maximum) after `*` or a range (`*/15`, `8-18/2`;
// a step after a single value, `5/10`, is rejected, as in Vixie cron). Months accept JAN-DEC and days of week SUN-SAT, case-insensitive,
// also inside ranges (`MON-FRI`). Ranges must be ascending (`FRI-MON` is rejected); `5-7` in day-of-week means
// Friday, Saturday, Sunday. Macros (`@daily`), `L`, `W`, `#` and `?` are not supported.
//
// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted, a day matches when
// EITHER matches; when either field starts with `*` (including `*/2`), a day matches when BOTH match (so a
// field of plain `*` simply drops out). A field counts as restricted exactly when it does not start with `*`.
//
// Parse also rejects schedules that can never fire (`0 0 31 2 *`, `0 0 30 2 *`): with the AND rule in force
// some selected day-of-month must exist in some selected month (29 February counts, it exists in leap years).
//
// This is pure parsing: it knows nothing of time zones; CronSchedule (cron_schedule.h) computes fire times.
// A value type; immutable after Parse and safe to share between threads.
#ifndef SCHEDSVC_SCHEDULER_SCHEDULE_CRON_EXPRESSION_H_
#define SCHEDSVC_SCHEDULER_SCHEDULE_CRON_EXPRESSION_H_

#include <bitset>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace schedsvc::scheduler {

class CronExpression {
 public:
  // Returns the parsed expression. kInvalidArgument names the field and why, e.g.
  // `hour field "25": value 25 is out of range 0-23`.
  static absl::StatusOr<CronExpression> Parse(absl::string_view text);

  // Bit i is set when value i is selected. Day-of-month uses bits 1-31 and month bits 1-12 (bit 0 unused);
  // day-of-week uses bits 0-6 with 0 = Sunday (a 7 in the text sets bit 0).
  const std::bitset<60>& minutes() const { return minutes_; }
  const std::bitset<24>& hours() const { return hours_; }
  const std::bitset<32>& days_of_month() const { return days_of_month_; }
  const std::bitset<13>& months() const { return months_; }
  const std::bitset<7>& days_of_week() const { return days_of_week_; }

  // True when the field does not start with `*` (Vixie's definition, see above).
  bool dom_restricted() const { return dom_restricted_; }
  bool dow_restricted() const { return dow_restricted_; }

  // Returns true when `day` is selected by the month, day-of-month and day-of-week fields (Vixie OR rule).
  bool MatchesDay(absl::CivilDay day) const;

  // Returns true when `minute` is selected by all five fields.
  bool Matches(absl::CivilMinute minute) const;

  // Returns the first civil minute >= `from` selected by all five fields, skipping whole months, days and
  // hours that cannot match. Never scans more than 400 years (one full Gregorian cycle); returns
  // absl::CivilMinute::max() if nothing matches in that span, which Parse's never-fires check rules out.
  absl::CivilMinute NextMatch(absl::CivilMinute from) const;

  // Returns the last civil minute <= `from` selected by all five fields, skipping like NextMatch. Returns
  // absl::CivilMinute::min() if nothing matches in the 400 years before `from`.
  absl::CivilMinute PrevMatch(absl::CivilMinute from) const;

  // The text given to Parse, unchanged.
  const std::string& text() const { return text_; }

 private:
  CronExpression() = default;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;
  std::bitset<13> months_;
  std::bitset<7> days_of_week_;
  bool dom_restricted_ = false;
  bool dow_restricted_ = false;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SCHEDULE_CRON_EXPRESSION_H_
