#include "src/scheduler/schedule/cron_expression.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace schedsvc::scheduler {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

template <std::size_t N>
std::vector<int> Selected(const std::bitset<N>& bits) {
  std::vector<int> out;
  for (std::size_t i = 0; i < N; ++i) {
    if (bits[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<int> Range(int first, int last, int step = 1) {
  std::vector<int> out;
  for (int v = first; v <= last; v += step) out.push_back(v);
  return out;
}

struct ValidCase {
  std::string text;
  std::vector<int> minutes;
  std::vector<int> hours;
  std::vector<int> days_of_month;
  std::vector<int> months;
  std::vector<int> days_of_week;
  bool dom_restricted;
  bool dow_restricted;
};

TEST(CronExpressionTest, ParsesAllSyntax) {
  const std::vector<ValidCase> cases = {
      {"* * * * *", Range(0, 59), Range(0, 23), Range(1, 31), Range(1, 12), Range(0, 6), false, false},
      {"0 9 * * 1-5", {0}, {9}, Range(1, 31), Range(1, 12), {1, 2, 3, 4, 5}, false, true},
      {"*/15 0-23/6 1,15 jan,JUL sun", {0, 15, 30, 45}, {0, 6, 12, 18}, {1, 15}, {1, 7}, {0}, true, true},
      {"5 4 * * 7", {5}, {4}, Range(1, 31), Range(1, 12), {0}, false, true},
      {"0 0 * * 5-7", {0}, {0}, Range(1, 31), Range(1, 12), {0, 5, 6}, false, true},
      {"0 0 * * 0,7", {0}, {0}, Range(1, 31), Range(1, 12), {0}, false, true},
      {"0 0 * * Mon-fRI", {0}, {0}, Range(1, 31), Range(1, 12), {1, 2, 3, 4, 5}, false, true},
      {"30 8-18/2 * * *", {30}, {8, 10, 12, 14, 16, 18}, Range(1, 31), Range(1, 12), Range(0, 6), false, false},
      {" \t0   12\t*  *  *  ", {0}, {12}, Range(1, 31), Range(1, 12), Range(0, 6), false, false},
      {"00 05 * * *", {0}, {5}, Range(1, 31), Range(1, 12), Range(0, 6), false, false},
      {"0 0 1-31/10 * *", {0}, {0}, {1, 11, 21, 31}, Range(1, 12), Range(0, 6), true, false},
      {"59 23 31 12 *", {59}, {23}, {31}, {12}, Range(0, 6), true, false},
      {"0 0 * Dec-DEC *", {0}, {0}, Range(1, 31), {12}, Range(0, 6), false, false},
      {"1,2,3-5,50-59/3 * * * *", {1, 2, 3, 4, 5, 50, 53, 56, 59}, Range(0, 23), Range(1, 31), Range(1, 12),
       Range(0, 6), false, false},
      {"0 0 */2 * mon", {0}, {0}, Range(1, 31, 2), Range(1, 12), {1}, false, true},
      {"0 0 * * */2", {0}, {0}, Range(1, 31), Range(1, 12), {0, 2, 4, 6}, false, false},
      {"0 0 29 2 *", {0}, {0}, {29}, {2}, Range(0, 6), true, false},
      // With both day fields restricted the OR rule applies, so Mondays in February fire.
      {"0 0 31 2 mon", {0}, {0}, {31}, {2}, {1}, true, true},
      {"*/59 */23 */31 */12 */7", {0, 59}, {0, 23}, {1}, {1}, {0}, false, false},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto expr = CronExpression::Parse(c.text);
    ASSERT_TRUE(expr.ok()) << expr.status();
    EXPECT_THAT(Selected(expr->minutes()), ElementsAreArray(c.minutes));
    EXPECT_THAT(Selected(expr->hours()), ElementsAreArray(c.hours));
    EXPECT_THAT(Selected(expr->days_of_month()), ElementsAreArray(c.days_of_month));
    EXPECT_THAT(Selected(expr->months()), ElementsAreArray(c.months));
    EXPECT_THAT(Selected(expr->days_of_week()), ElementsAreArray(c.days_of_week));
    EXPECT_EQ(expr->dom_restricted(), c.dom_restricted);
    EXPECT_EQ(expr->dow_restricted(), c.dow_restricted);
    EXPECT_EQ(expr->text(), c.text);
  }
}

struct ErrorCase {
  std::string text;
  std::string message_part;
};

TEST(CronExpressionTest, RejectsInvalidTextNamingFieldAndReason) {
  const std::vector<ErrorCase> cases = {
      {"", "schedule is empty"},
      {"   ", "schedule is empty"},
      {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"* * * * * *", "got 6"},
      {"60 * * * *", "minute field \"60\": value 60 is out of range 0-59"},
      {"* 24 * * *", "hour field \"24\": value 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month field \"0\": value 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month field \"32\": value 32 is out of range 1-31"},
      {"* * * 13 *", "month field \"13\": value 13 is out of range 1-12"},
      {"* * * 0 *", "month field \"0\""},
      {"* * * * 8", "day-of-week field \"8\": value 8 is out of range 0-7"},
      {"99999 * * * *", "minute field \"99999\": value 99999 is out of range"},
      {"5/10 * * * *", "minute field \"5/10\": a step needs a range or '*' before it"},
      {"*/0 * * * *", "minute field \"*/0\": step must be at least 1"},
      {"*/ * * * *", "missing step after '/'"},
      {"*/61 * * * *", "step 61 is larger than 59"},
      {"*/x * * * *", "step \"x\" is not a number"},
      {"10-5 * * * *", "minute field \"10-5\": range 10-5 is descending"},
      {"1,,2 * * * *", "empty list item"},
      {"1, * * * *", "empty list item"},
      {"a * * * *", "minute field \"a\": \"a\" is not a number"},
      {"1-2-3 * * * *", "\"2-3\" is not a number"},
      {"1x * * * *", "\"1x\" is not a number"},
      {"* * * foo *", "month field \"foo\": \"foo\" is not a number or a month name (JAN-DEC)"},
      {"* * * * monday", "day-of-week field \"monday\": \"monday\" is not a number or a day name (SUN-SAT)"},
      {"* * * * FRI-MON", "range FRI-MON is descending"},
      {"* * L * *", "day-of-month field \"L\""},
      {"* * * * 5#3", "day-of-week field \"5#3\""},
      {"* * ? * *", "day-of-month field \"?\""},
      {"@daily", "cron macros such as \"@daily\" are not supported"},
      {"0 0 31 2 *", "day-of-month \"31\" never occurs in month \"2\": the schedule would never fire"},
      {"0 0 30 2 *", "never fire"},
      {"0 0 31 4,6,9,11 *", "never fire"},
      {"0 0 30-31 feb *", "never fire"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto expr = CronExpression::Parse(c.text);
    ASSERT_FALSE(expr.ok());
    EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(expr.status().message()), HasSubstr(c.message_part));
  }
}

struct DayCase {
  std::string text;
  absl::CivilDay day;
  bool matches;
};

TEST(CronExpressionTest, DayOfMonthAndDayOfWeekFollowVixieRule) {
  // 2026-12-11 and 2026-12-18 are Fridays; 2026-12-13 is a Sunday; 2026-11-09 and 2026-11-16 are Mondays.
  const std::vector<DayCase> cases = {
      // Both restricted: either one matching is enough.
      {"0 0 13 * 5", absl::CivilDay(2026, 12, 13), true},
      {"0 0 13 * 5", absl::CivilDay(2026, 12, 11), true},
      {"0 0 13 * 5", absl::CivilDay(2026, 12, 12), false},
      // Day-of-month starts with '*': both must match (odd days that are Mondays).
      {"0 0 */2 * 1", absl::CivilDay(2026, 11, 9), true},
      {"0 0 */2 * 1", absl::CivilDay(2026, 11, 16), false},
      {"0 0 */2 * 1", absl::CivilDay(2026, 11, 11), false},
      // Only one field restricted: that field decides.
      {"0 0 13 * *", absl::CivilDay(2026, 12, 11), false},
      {"0 0 * * 5", absl::CivilDay(2026, 12, 11), true},
      // Month applies under both rules.
      {"0 0 13 1 5", absl::CivilDay(2026, 12, 11), false},
      {"0 0 * * 7", absl::CivilDay(2026, 12, 13), true},
  };
  for (const DayCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto expr = CronExpression::Parse(c.text);
    ASSERT_TRUE(expr.ok()) << expr.status();
    EXPECT_EQ(expr->MatchesDay(c.day), c.matches) << c.day;
  }
}

struct NextMatchCase {
  std::string text;
  absl::CivilMinute from;
  absl::CivilMinute expected;
};

TEST(CronExpressionTest, NextMatchSkipsToTheNextSelectedMinute) {
  const std::vector<NextMatchCase> cases = {
      {"* * * * *", absl::CivilMinute(2026, 11, 23, 10, 0), absl::CivilMinute(2026, 11, 23, 10, 0)},
      {"*/15 * * * *", absl::CivilMinute(2026, 11, 23, 10, 1), absl::CivilMinute(2026, 11, 23, 10, 15)},
      {"*/15 * * * *", absl::CivilMinute(2026, 12, 31, 23, 46), absl::CivilMinute(2027, 1, 1, 0, 0)},
      {"0 9 * * *", absl::CivilMinute(2026, 11, 23, 9, 1), absl::CivilMinute(2026, 11, 24, 9, 0)},
      {"0 0 31 * *", absl::CivilMinute(2026, 4, 1, 0, 0), absl::CivilMinute(2026, 5, 31, 0, 0)},
      {"0 0 29 2 *", absl::CivilMinute(2026, 1, 31, 23, 59), absl::CivilMinute(2028, 2, 29, 0, 0)},
      // 2100 is not a leap year.
      {"0 0 29 2 *", absl::CivilMinute(2096, 3, 1, 0, 0), absl::CivilMinute(2104, 2, 29, 0, 0)},
      // 29 February that is a Sunday (day-of-week starts with '*', so both must match): 2032.
      {"0 0 29 2 */7", absl::CivilMinute(2026, 1, 1, 0, 0), absl::CivilMinute(2032, 2, 29, 0, 0)},
      {"30 4 1 jan *", absl::CivilMinute(2026, 1, 1, 4, 31), absl::CivilMinute(2027, 1, 1, 4, 30)},
  };
  for (const NextMatchCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto expr = CronExpression::Parse(c.text);
    ASSERT_TRUE(expr.ok()) << expr.status();
    EXPECT_EQ(expr->NextMatch(c.from), c.expected);
    EXPECT_TRUE(expr->Matches(c.expected));
  }
}

TEST(CronExpressionTest, PrevMatchSkipsBackToTheLastSelectedMinute) {
  const std::vector<NextMatchCase> cases = {
      {"* * * * *", absl::CivilMinute(2026, 11, 23, 10, 0), absl::CivilMinute(2026, 11, 23, 10, 0)},
      {"*/15 * * * *", absl::CivilMinute(2026, 11, 23, 10, 14), absl::CivilMinute(2026, 11, 23, 10, 0)},
      {"*/15 * * * *", absl::CivilMinute(2027, 1, 1, 0, 14), absl::CivilMinute(2027, 1, 1, 0, 0)},
      {"50 * * * *", absl::CivilMinute(2027, 1, 1, 0, 49), absl::CivilMinute(2026, 12, 31, 23, 50)},
      {"0 9 * * *", absl::CivilMinute(2026, 11, 23, 8, 59), absl::CivilMinute(2026, 11, 22, 9, 0)},
      {"0 0 31 * *", absl::CivilMinute(2026, 5, 30, 0, 0), absl::CivilMinute(2026, 3, 31, 0, 0)},
      {"0 0 29 2 *", absl::CivilMinute(2031, 6, 1, 0, 0), absl::CivilMinute(2028, 2, 29, 0, 0)},
      {"0 0 29 2 *", absl::CivilMinute(2104, 2, 28, 0, 0), absl::CivilMinute(2096, 2, 29, 0, 0)},
      {"0 0 29 2 */7", absl::CivilMinute(2059, 1, 1, 0, 0), absl::CivilMinute(2032, 2, 29, 0, 0)},
      {"30 4 1 jan *", absl::CivilMinute(2027, 1, 1, 4, 29), absl::CivilMinute(2026, 1, 1, 4, 30)},
      {"0 0 13 * 5", absl::CivilMinute(2026, 12, 17, 23, 59), absl::CivilMinute(2026, 12, 13, 0, 0)},
  };
  for (const NextMatchCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto expr = CronExpression::Parse(c.text);
    ASSERT_TRUE(expr.ok()) << expr.status();
    EXPECT_EQ(expr->PrevMatch(c.from), c.expected);
  }
}

}  // namespace
}  // namespace schedsvc::scheduler
