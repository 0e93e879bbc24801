#include "src/scheduler/schedule/english_schedule.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace schedsvc::scheduler {
namespace {

constexpr int kMinutesPerHour = 60;
constexpr int kHoursPerDay = 24;
constexpr int kMaxHour = 23;
constexpr int kMaxMinute = 59;

struct WeekdayName {
  absl::string_view full;
  absl::string_view abbreviation;
  int cron_value;
};
constexpr std::array<WeekdayName, 7> kWeekdays = {{{"sunday", "sun", 0},
                                                    {"monday", "mon", 1},
                                                    {"tuesday", "tue", 2},
                                                    {"wednesday", "wed", 3},
                                                    {"thursday", "thu", 4},
                                                    {"friday", "fri", 5},
                                                    {"saturday", "sat", 6}}};

absl::Status Unsupported(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("English-like schedule \"", text, "\": ", why));
}

struct TimeOfDay {
  int hour;
  int minute;
};

absl::StatusOr<TimeOfDay> ParseTimeOfDay(absl::string_view text, absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, ':');
  int hour = 0;
  int minute = 0;
  const auto all_digits = [](absl::string_view s) {
    for (char ch : s) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return false;
    }
    return true;
  };
  if (parts.size() != 2 || parts[0].empty() || parts[0].size() > 2 || parts[1].size() != 2 ||
      !all_digits(parts[0]) || !all_digits(parts[1]) || !absl::SimpleAtoi(parts[0], &hour) ||
      !absl::SimpleAtoi(parts[1], &minute) || hour > kMaxHour || minute > kMaxMinute) {
    return Unsupported(text, absl::StrCat("\"", token, "\" is not a 24-hour time HH:MM"));
  }
  return TimeOfDay{hour, minute};
}

absl::StatusOr<std::string> TranslateInterval(absl::string_view text, absl::string_view count,
                                              absl::string_view unit) {
  int n = 0;
  if (!absl::SimpleAtoi(count, &n) || n < 1 || count.size() > 4) {
    return Unsupported(text, absl::StrCat("\"", count, "\" is not a positive whole number"));
  }
  if (unit == "minutes" || unit == "minute" || unit == "mins" || unit == "min") {
    if (n == kMinutesPerHour) return std::string("0 * * * *");
    if (n > kMinutesPerHour || kMinutesPerHour % n != 0) {
      return Unsupported(text, absl::StrCat("an interval of ", n,
                                            " minutes is not supported; use a divisor of 60 "
                                            "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) or 60"));
    }
    return absl::StrCat("*/", n, " * * * *");
  }
  if (unit == "hours" || unit == "hour") {
    if (n == kHoursPerDay) return std::string("0 0 * * *");
    if (n > kHoursPerDay || kHoursPerDay % n != 0) {
      return Unsupported(text, absl::StrCat("an interval of ", n,
                                            " hours is not supported; use a divisor of 24 "
                                            "(1, 2, 3, 4, 6, 8, 12) or 24"));
    }
    return absl::StrCat("0 */", n, " * * *");
  }
  return Unsupported(text, absl::StrCat("unknown unit \"", unit, "\" (expected minutes or hours)"));
}

}  // namespace

bool LooksLikeEnglishSchedule(absl::string_view text) {
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (trimmed.size() < 5) return false;
  if (!absl::EqualsIgnoreCase(trimmed.substr(0, 5), "every")) return false;
  return trimmed.size() == 5 || absl::ascii_isspace(static_cast<unsigned char>(trimmed[5]));
}

absl::StatusOr<std::string> TranslateEnglishSchedule(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  std::vector<absl::string_view> words = absl::StrSplit(lower, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (words.empty() || words[0] != "every") {
    return Unsupported(text, "must start with \"every\"");
  }
  if (words.size() < 2) return Unsupported(text, "nothing follows \"every\"");
  for (absl::string_view word : words) {
    if (word == "from" || word == "to") {
      return Unsupported(text, "time windows (\"from HH:MM to HH:MM\") are not supported");
    }
    if (word == "of") return Unsupported(text, "ordinal forms (\"1st monday of month\") are not supported");
  }
  const bool is_number = absl::ascii_isdigit(static_cast<unsigned char>(words[1][0]));
  if (is_number) {
    if (words.size() == 4 && words[3] != "synchronized") {
      return Unsupported(text, absl::StrCat("unexpected \"", words[3], "\""));
    }
    if (words.size() < 3 || words.size() > 4) {
      return Unsupported(text, "expected \"every N minutes\" or \"every N hours\"");
    }
    return TranslateInterval(text, words[1], words[2]);
  }
  if (words.size() != 3) {
    return Unsupported(text, "expected \"every day HH:MM\" or \"every WEEKDAY HH:MM\"");
  }
  auto time = ParseTimeOfDay(text, words[2]);
  if (!time.ok()) return time.status();
  if (words[1] == "day") return absl::StrCat(time->minute, " ", time->hour, " * * *");
  std::vector<int> days;
  for (absl::string_view name : absl::StrSplit(words[1], ',')) {
    bool found = false;
    for (const WeekdayName& weekday : kWeekdays) {
      if (name == weekday.full || name == weekday.abbreviation) {
        days.push_back(weekday.cron_value);
        found = true;
        break;
      }
    }
    if (!found) {
      return Unsupported(text, absl::StrCat("\"", name, "\" is not \"day\" or a day of the week"));
    }
  }
  return absl::StrCat(time->minute, " ", time->hour, " * * ", absl::StrJoin(days, ","));
}

absl::StatusOr<CronExpression> ParseEnglishSchedule(absl::string_view text) {
  auto cron = TranslateEnglishSchedule(text);
  if (!cron.ok()) return cron.status();
  return CronExpression::Parse(*cron);
}

}  // namespace schedsvc::scheduler
