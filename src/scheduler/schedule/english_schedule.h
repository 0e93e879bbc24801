// English-like schedules (the App Engine cron.yaml style Cloud Scheduler also accepts), translated to the
// equivalent unix-cron text so that one engine (CronExpression + CronSchedule) computes every fire time.
//
// Accepted forms (case-insensitive, any amount of whitespace between words):
//   every N minutes     N divides 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) -> "*/N * * * *"; N = 60 -> "0 * * * *"
//   every N hours       N divides 24 (1, 2, 3, 4, 6, 8, 12)                 -> "0 */N * * *"; N = 24 -> "0 0 * * *"
//                       ("minute", "min", "mins", "hour" are accepted as unit spellings; an optional trailing
//                       "synchronized" is accepted, since the translation is clock-aligned anyway)
//   every day HH:MM     -> "MM HH * * *"
//   every WEEKDAY[,WEEKDAY...] HH:MM   WEEKDAY is monday..sunday or mon..sun -> "MM HH * * d[,d...]"
// HH:MM is 24-hour time, H or HH, 00-23 and 00-59.
//
// Everything else is rejected with kInvalidArgument saying why, in particular intervals that do not divide
// the hour or the day (`every 7 minutes`: App Engine measures those from the end of the previous run, which
// no fixed cron schedule can express), `from HH:MM to HH:MM` windows, and ordinal forms (`1st monday of
// month`). Intervals are aligned to the clock of the job's time zone (App Engine's "synchronized" meaning).
//
// Pure functions: no state, thread-safe.
#ifndef SCHEDSVC_SCHEDULER_SCHEDULE_ENGLISH_SCHEDULE_H_
#define SCHEDSVC_SCHEDULER_SCHEDULE_ENGLISH_SCHEDULE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/scheduler/schedule/cron_expression.h"

namespace schedsvc::scheduler {

// Returns true when `text` starts with the word "every" (case-insensitive): the caller should then parse it
// as an English-like schedule rather than as cron.
bool LooksLikeEnglishSchedule(absl::string_view text);

// Returns the unix-cron text equivalent to `text`, e.g. "every monday 09:00" -> "0 9 * * 1".
// kInvalidArgument explains what is not accepted.
absl::StatusOr<std::string> TranslateEnglishSchedule(absl::string_view text);

// Returns the CronExpression for `text` (TranslateEnglishSchedule then CronExpression::Parse). The
// expression's text() is the translated cron text.
absl::StatusOr<CronExpression> ParseEnglishSchedule(absl::string_view text);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SCHEDULE_ENGLISH_SCHEDULE_H_
