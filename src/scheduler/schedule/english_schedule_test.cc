#include "src/scheduler/schedule/english_schedule.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace schedsvc::scheduler {
namespace {

using ::testing::HasSubstr;

struct TranslationCase {
  std::string english;
  std::string cron;
};

TEST(EnglishScheduleTest, TranslatesSupportedFormsToCron) {
  const std::vector<TranslationCase> cases = {
      {"every 5 minutes", "*/5 * * * *"},
      {"every 1 minutes", "*/1 * * * *"},
      {"every 1 minute", "*/1 * * * *"},
      {"every 30 mins", "*/30 * * * *"},
      {"every 15 min", "*/15 * * * *"},
      {"every 60 minutes", "0 * * * *"},
      {"every 2 hours", "0 */2 * * *"},
      {"every 1 hours", "0 */1 * * *"},
      {"every 1 hour", "0 */1 * * *"},
      {"every 12 hours", "0 */12 * * *"},
      {"every 24 hours", "0 0 * * *"},
      {"every 10 minutes synchronized", "*/10 * * * *"},
      {"every day 09:00", "0 9 * * *"},
      {"every day 9:05", "5 9 * * *"},
      {"every day 00:00", "0 0 * * *"},
      {"every day 23:59", "59 23 * * *"},
      {"every monday 09:00", "0 9 * * 1"},
      {"every tuesday 10:30", "30 10 * * 2"},
      {"every wednesday 11:00", "0 11 * * 3"},
      {"every thursday 12:00", "0 12 * * 4"},
      {"every friday 17:45", "45 17 * * 5"},
      {"every saturday 08:00", "0 8 * * 6"},
      {"every sunday 07:15", "15 7 * * 0"},
      {"every mon,wed,fri 06:00", "0 6 * * 1,3,5"},
      {"  EVERY   Monday\t09:00 ", "0 9 * * 1"},
  };
  for (const TranslationCase& c : cases) {
    SCOPED_TRACE(c.english);
    EXPECT_TRUE(LooksLikeEnglishSchedule(c.english));
    auto cron = TranslateEnglishSchedule(c.english);
    ASSERT_TRUE(cron.ok()) << cron.status();
    EXPECT_EQ(*cron, c.cron);
    auto expr = ParseEnglishSchedule(c.english);
    ASSERT_TRUE(expr.ok()) << expr.status();
    EXPECT_EQ(expr->text(), c.cron);
  }
}

TEST(EnglishScheduleTest, RecognisesOnlyTextStartingWithEvery) {
  EXPECT_TRUE(LooksLikeEnglishSchedule("every 5 minutes"));
  EXPECT_TRUE(LooksLikeEnglishSchedule("Every day 09:00"));
  EXPECT_TRUE(LooksLikeEnglishSchedule("every"));
  EXPECT_FALSE(LooksLikeEnglishSchedule("everyday 09:00"));
  EXPECT_FALSE(LooksLikeEnglishSchedule("*/5 * * * *"));
  EXPECT_FALSE(LooksLikeEnglishSchedule(""));
}

struct ErrorCase {
  std::string english;
  std::string message_part;
};

TEST(EnglishScheduleTest, RejectsUnsupportedFormsSayingWhy) {
  const std::vector<ErrorCase> cases = {
      {"every", "nothing follows \"every\""},
      {"every 7 minutes", "an interval of 7 minutes is not supported; use a divisor of 60"},
      {"every 90 minutes", "an interval of 90 minutes is not supported"},
      {"every 5 hours", "an interval of 5 hours is not supported; use a divisor of 24"},
      {"every 48 hours", "an interval of 48 hours is not supported"},
      {"every 0 minutes", "\"0\" is not a positive whole number"},
      {"every 5x minutes", "\"5x\" is not a positive whole number"},
      {"every 5 seconds", "unknown unit \"seconds\""},
      {"every 5 minutes please", "unexpected \"please\""},
      {"every 5", "expected \"every N minutes\" or \"every N hours\""},
      {"every 5 minutes from 10:00 to 14:00", "time windows"},
      {"every 1st monday of month 09:00", "ordinal forms"},
      {"every day 24:00", "\"24:00\" is not a 24-hour time HH:MM"},
      {"every day 09:60", "\"09:60\" is not a 24-hour time HH:MM"},
      {"every day 9am", "\"9am\" is not a 24-hour time HH:MM"},
      {"every day 09:0", "\"09:0\" is not a 24-hour time HH:MM"},
      {"every day", "expected \"every day HH:MM\" or \"every WEEKDAY HH:MM\""},
      {"every funday 09:00", "\"funday\" is not \"day\" or a day of the week"},
      {"every mon,,fri 09:00", "\"\" is not \"day\" or a day of the week"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.english);
    auto cron = TranslateEnglishSchedule(c.english);
    ASSERT_FALSE(cron.ok()) << *cron;
    EXPECT_EQ(cron.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(cron.status().message()), HasSubstr(c.message_part));
  }
}

}  // namespace
}  // namespace schedsvc::scheduler
