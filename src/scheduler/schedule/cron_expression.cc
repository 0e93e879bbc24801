#include "src/scheduler/schedule/cron_expression.h"

#include <array>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schedsvc::scheduler {
namespace {

constexpr int kFieldCount = 5;
// Longest number we read; anything longer is out of range for every field anyway and would overflow.
constexpr std::size_t kMaxDigits = 4;
// Days in each month of a leap year (index 1-12): the most a month can ever have.
constexpr std::array<int, 13> kMaxDaysInMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
// A full Gregorian cycle: if nothing matches in this many years, nothing ever will.
constexpr int kGregorianCycleYears = 400;

constexpr std::array<absl::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                           "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<absl::string_view, 7> kWeekdayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// How one of the five fields is read.
struct FieldSpec {
  absl::string_view name;
  int low;
  int high;  // highest value accepted in the text (7 for day-of-week)
  int star_high;  // highest value `*` selects (6 for day-of-week)
  const absl::string_view* names;  // names[i] denotes value names_base + i, or nullptr
  int name_count;
  int names_base;
};

constexpr FieldSpec kMinuteSpec{"minute", 0, 59, 59, nullptr, 0, 0};
constexpr FieldSpec kHourSpec{"hour", 0, 23, 23, nullptr, 0, 0};
constexpr FieldSpec kDomSpec{"day-of-month", 1, 31, 31, nullptr, 0, 0};
constexpr FieldSpec kMonthSpec{"month", 1, 12, 12, kMonthNames.data(), 12, 1};
constexpr FieldSpec kDowSpec{"day-of-week", 0, 7, 6, kWeekdayNames.data(), 7, 0};

absl::Status FieldError(const FieldSpec& spec, absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(spec.name, " field \"", field, "\": ", why));
}

// Reads a number or (where the field has them) a three-letter name.
absl::StatusOr<int> ParseValue(const FieldSpec& spec, absl::string_view field, absl::string_view token) {
  if (token.empty()) return FieldError(spec, field, "empty value");
  if (absl::ascii_isdigit(static_cast<unsigned char>(token[0]))) {
    if (token.size() > kMaxDigits) {
      return FieldError(spec, field, absl::StrCat("value ", token, " is out of range ", spec.low, "-", spec.high));
    }
    int value = 0;
    for (char ch : token) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) {
        return FieldError(spec, field, absl::StrCat("\"", token, "\" is not a number"));
      }
      value = value * 10 + (ch - '0');
    }
    if (value < spec.low || value > spec.high) {
      return FieldError(spec, field, absl::StrCat("value ", value, " is out of range ", spec.low, "-", spec.high));
    }
    return value;
  }
  if (spec.names == nullptr) {
    return FieldError(spec, field, absl::StrCat("\"", token, "\" is not a number"));
  }
  const std::string lower = absl::AsciiStrToLower(token);
  for (int i = 0; i < spec.name_count; ++i) {
    if (lower == spec.names[i]) return spec.names_base + i;
  }
  return FieldError(spec, field,
                    absl::StrCat("\"", token, "\" is not a number or a ", spec.name == kMonthSpec.name
                                                                              ? "month name (JAN-DEC)"
                                                                              : "day name (SUN-SAT)"));
}

absl::StatusOr<int> ParseStep(const FieldSpec& spec, absl::string_view field, absl::string_view token) {
  if (token.empty()) return FieldError(spec, field, "missing step after '/'");
  if (token.size() > kMaxDigits) return FieldError(spec, field, absl::StrCat("step ", token, " is too large"));
  int step = 0;
  for (char ch : token) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) {
      return FieldError(spec, field, absl::StrCat("step \"", token, "\" is not a number"));
    }
    step = step * 10 + (ch - '0');
  }
  if (step < 1) return FieldError(spec, field, "step must be at least 1");
  if (step > spec.high) {
    return FieldError(spec, field, absl::StrCat("step ", step, " is larger than ", spec.high));
  }
  return step;
}

// Parses one field into a mask of selected values (bit i = value i, before day-of-week's 7 -> 0 folding).
absl::StatusOr<std::uint64_t> ParseField(const FieldSpec& spec, absl::string_view field) {
  std::uint64_t mask = 0;
  for (absl::string_view item : absl::StrSplit(field, ',')) {
    if (item.empty()) return FieldError(spec, field, "empty list item");
    std::vector<absl::string_view> base_and_step = absl::StrSplit(item, absl::MaxSplits('/', 1));
    const absl::string_view base = base_and_step[0];
    const bool has_step = base_and_step.size() == 2;
    int first = 0;
    int last = 0;
    if (base == "*") {
      first = spec.low;
      last = spec.star_high;
    } else {
      std::vector<absl::string_view> bounds = absl::StrSplit(base, absl::MaxSplits('-', 1));
      auto lo = ParseValue(spec, field, bounds[0]);
      if (!lo.ok()) return lo.status();
      first = *lo;
      last = *lo;
      if (bounds.size() == 2) {
        auto hi = ParseValue(spec, field, bounds[1]);
        if (!hi.ok()) return hi.status();
        last = *hi;
        if (last < first) {
          return FieldError(spec, field, absl::StrCat("range ", base, " is descending"));
        }
      } else if (has_step) {
        return FieldError(spec, field,
                          absl::StrCat("a step needs a range or '*' before it (\"", item, "\")"));
      }
    }
    int step = 1;
    if (has_step) {
      auto parsed = ParseStep(spec, field, base_and_step[1]);
      if (!parsed.ok()) return parsed.status();
      step = *parsed;
    }
    for (int v = first; v <= last; v += step) mask |= std::uint64_t{1} << v;
  }
  return mask;
}

template <std::size_t N>
int NextSetBit(const std::bitset<N>& bits, int from) {
  for (int i = from; i < static_cast<int>(N); ++i) {
    if (bits[i]) return i;
  }
  return -1;
}

template <std::size_t N>
int PrevSetBit(const std::bitset<N>& bits, int from) {
  for (int i = from; i >= 0; --i) {
    if (bits[i]) return i;
  }
  return -1;
}

}  // namespace

absl::StatusOr<CronExpression> CronExpression::Parse(absl::string_view text) {
  std::vector<absl::string_view> fields = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.empty()) return absl::InvalidArgumentError("schedule is empty");
  if (fields[0][0] == '@') {
    return absl::InvalidArgumentError(absl::StrCat("cron macros such as \"", fields[0], "\" are not supported"));
  }
  if (fields.size() != kFieldCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 5 fields (minute hour day-of-month month day-of-week), got ", fields.size()));
  }
  CronExpression expr;
  expr.text_ = std::string(text);
  auto minutes = ParseField(kMinuteSpec, fields[0]);
  if (!minutes.ok()) return minutes.status();
  auto hours = ParseField(kHourSpec, fields[1]);
  if (!hours.ok()) return hours.status();
  auto doms = ParseField(kDomSpec, fields[2]);
  if (!doms.ok()) return doms.status();
  auto months = ParseField(kMonthSpec, fields[3]);
  if (!months.ok()) return months.status();
  auto dows = ParseField(kDowSpec, fields[4]);
  if (!dows.ok()) return dows.status();

  expr.minutes_ = std::bitset<60>(*minutes);
  expr.hours_ = std::bitset<24>(*hours);
  expr.days_of_month_ = std::bitset<32>(*doms);
  expr.months_ = std::bitset<13>(*months);
  constexpr std::uint64_t kSundayAsSeven = std::uint64_t{1} << 7;
  expr.days_of_week_ = std::bitset<7>((*dows & ~kSundayAsSeven) | ((*dows & kSundayAsSeven) ? 1 : 0));
  expr.dom_restricted_ = fields[2][0] != '*';
  expr.dow_restricted_ = fields[4][0] != '*';

  // With the OR rule every selected weekday occurs in every month, so the schedule fires. With the AND rule a
  // selected day-of-month must exist in a selected month; over the 400-year cycle every existing date falls
  // on every weekday, so that is also sufficient.
  if (!(expr.dom_restricted_ && expr.dow_restricted_)) {
    bool some_day_exists = false;
    for (int month = 1; month <= 12 && !some_day_exists; ++month) {
      if (!expr.months_[month]) continue;
      for (int day = 1; day <= kMaxDaysInMonth[month]; ++day) {
        if (expr.days_of_month_[day]) {
          some_day_exists = true;
          break;
        }
      }
    }
    if (!some_day_exists) {
      return absl::InvalidArgumentError(absl::StrCat("day-of-month \"", fields[2],
                                                     "\" never occurs in month \"", fields[3],
                                                     "\": the schedule would never fire"));
    }
  }
  return expr;
}

bool CronExpression::MatchesDay(absl::CivilDay day) const {
  if (!months_[day.month()]) return false;
  // absl::Weekday counts from Monday = 0; cron from Sunday = 0.
  const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
  const bool dom_ok = days_of_month_[day.day()];
  const bool dow_ok = days_of_week_[weekday];
  if (dom_restricted_ && dow_restricted_) return dom_ok || dow_ok;
  return dom_ok && dow_ok;
}

bool CronExpression::Matches(absl::CivilMinute minute) const {
  return MatchesDay(absl::CivilDay(minute)) && hours_[minute.hour()] && minutes_[minute.minute()];
}

absl::CivilMinute CronExpression::NextMatch(absl::CivilMinute from) const {
  const absl::civil_year_t last_year = from.year() + kGregorianCycleYears;
  absl::CivilMinute c = from;
  while (c.year() <= last_year) {
    if (!months_[c.month()]) {
      c = absl::CivilMinute(absl::CivilMonth(c) + 1);
      continue;
    }
    const absl::CivilDay day(c);
    if (!MatchesDay(day)) {
      c = absl::CivilMinute(day + 1);
      continue;
    }
    const int hour = NextSetBit(hours_, c.hour());
    if (hour < 0) {
      c = absl::CivilMinute(day + 1);
      continue;
    }
    if (hour != c.hour()) c = absl::CivilMinute(day.year(), day.month(), day.day(), hour, 0);
    const int minute = NextSetBit(minutes_, c.minute());
    if (minute < 0) {
      c = absl::CivilMinute(absl::CivilHour(c) + 1);
      continue;
    }
    return absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute);
  }
  return absl::CivilMinute::max();
}

absl::CivilMinute CronExpression::PrevMatch(absl::CivilMinute from) const {
  const absl::civil_year_t first_year = from.year() - kGregorianCycleYears;
  absl::CivilMinute c = from;
  while (c.year() >= first_year) {
    if (!months_[c.month()]) {
      c = absl::CivilMinute(absl::CivilMonth(c)) - 1;  // last minute of the previous month
      continue;
    }
    const absl::CivilDay day(c);
    if (!MatchesDay(day)) {
      c = absl::CivilMinute(day) - 1;
      continue;
    }
    const int hour = PrevSetBit(hours_, c.hour());
    if (hour < 0) {
      c = absl::CivilMinute(day) - 1;
      continue;
    }
    constexpr int kLastMinute = 59;
    if (hour != c.hour()) c = absl::CivilMinute(day.year(), day.month(), day.day(), hour, kLastMinute);
    const int minute = PrevSetBit(minutes_, c.minute());
    if (minute < 0) {
      c = absl::CivilMinute(absl::CivilHour(c)) - 1;
      continue;
    }
    return absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute);
  }
  return absl::CivilMinute::min();
}

}  // namespace schedsvc::scheduler
