#include "src/scheduler/schedule/cron_schedule.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"

namespace schedsvc::scheduler {
namespace {

using ::testing::HasSubstr;

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) {
    ADD_FAILURE() << "bad test time " << rfc3339 << ": " << error;
  }
  return t;
}

std::string Show(absl::Time t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, zone);
}

struct NextCase {
  std::string note;
  std::string schedule;
  std::string zone;
  std::string after;
  std::string expected;
};

// Transitions used below (tzdata): New York 2026-03-08 02:00 EST -> 03:00 EDT and 2026-11-01 02:00 EDT ->
// 01:00 EST; London 2026-03-29 01:00 GMT -> 02:00 BST and 2026-10-25 02:00 BST -> 01:00 GMT; Lord Howe
// 2026-10-04 02:00 +10:30 -> 02:30 +11 and 2026-04-05 02:00 +11 -> 01:30 +10:30.
TEST(CronScheduleTest, NextAfterTable) {
  const std::vector<NextCase> cases = {
      // Minute granularity, strictly after.
      {"next minute", "* * * * *", "", "2026-11-23T10:00:00Z", "2026-11-23T10:01:00Z"},
      {"mid-minute", "* * * * *", "Etc/UTC", "2026-11-23T10:00:30Z", "2026-11-23T10:01:00Z"},
      {"just before", "0 9 * * *", "UTC", "2026-11-23T08:59:59.999Z", "2026-11-23T09:00:00Z"},
      {"half-hour zone", "0 9 * * *", "Asia/Kolkata", "2026-11-23T00:00:00Z", "2026-11-23T09:00:00+05:30"},
      // Month ends and leap days.
      {"31st skips short months", "0 0 31 * *", "UTC", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"},
      {"year end", "59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
      {"leap day", "0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
      {"leap day every 4 years", "0 0 29 2 *", "UTC", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
      {"2100 is not leap", "0 0 29 2 *", "UTC", "2096-02-29T00:00:00Z", "2104-02-29T00:00:00Z"},
      {"leap day in a zone", "30 12 29 2 *", "America/New_York", "2026-01-01T00:00:00Z",
       "2028-02-29T12:30:00-05:00"},
      {"last day of Feb, leap", "0 0 28,29 2 *", "UTC", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"},
      // Vixie OR rule: the 13th or any Friday.
      {"OR: 13th", "0 0 13 * 5", "UTC", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"},
      {"OR: Friday", "0 0 13 * 5", "UTC", "2026-12-13T00:00:00Z", "2026-12-18T00:00:00Z"},
      {"AND: odd-day Monday", "0 0 */2 * 1", "UTC", "2026-11-01T00:00:00Z", "2026-11-09T00:00:00Z"},
      {"AND: next odd-day Monday", "0 0 */2 * 1", "UTC", "2026-11-09T00:00:00Z", "2026-11-23T00:00:00Z"},
      // English-like forms go through the same engine.
      {"every 5 minutes", "every 5 minutes", "UTC", "2026-11-23T10:02:00Z", "2026-11-23T10:05:00Z"},
      {"every monday 09:00", "every monday 09:00", "America/New_York", "2026-11-23T14:00:00Z",
       "2026-11-30T09:00:00-05:00"},

      // New York, spring forward: 02:00-02:59 does not exist.
      {"NY SKIPPED fires after gap", "30 2 * * *", "America/New_York", "2026-03-07T02:30:00-05:00",
       "2026-03-08T03:00:00-04:00"},
      {"NY SKIPPED then normal", "30 2 * * *", "America/New_York", "2026-03-08T03:00:00-04:00",
       "2026-03-09T02:30:00-04:00"},
      {"NY SKIPPED several collapse", "15,45 2 * * *", "America/New_York", "2026-03-08T01:59:00-05:00",
       "2026-03-08T03:00:00-04:00"},
      {"NY SKIPPED several fire once", "15,45 2 * * *", "America/New_York", "2026-03-08T03:00:00-04:00",
       "2026-03-09T02:15:00-04:00"},
      {"NY interval across gap", "*/15 * * * *", "America/New_York", "2026-03-08T01:45:00-05:00",
       "2026-03-08T03:00:00-04:00"},
      {"NY interval after gap", "*/15 * * * *", "America/New_York", "2026-03-08T03:00:00-04:00",
       "2026-03-08T03:15:00-04:00"},
      {"NY UNIQUE after gap", "0 3 * * *", "America/New_York", "2026-03-07T03:00:00-05:00",
       "2026-03-08T03:00:00-04:00"},
      // New York, fall back: 01:00-01:59 happens twice.
      {"NY REPEATED first occurrence", "30 1 * * *", "America/New_York", "2026-10-31T01:30:00-04:00",
       "2026-11-01T01:30:00-04:00"},
      {"NY REPEATED not twice", "30 1 * * *", "America/New_York", "2026-11-01T01:30:00-04:00",
       "2026-11-02T01:30:00-05:00"},
      {"NY interval skips second pass", "*/15 * * * *", "America/New_York", "2026-11-01T01:45:00-04:00",
       "2026-11-01T02:00:00-05:00"},
      {"NY from inside second pass", "*/15 * * * *", "America/New_York", "2026-11-01T01:10:00-05:00",
       "2026-11-01T02:00:00-05:00"},
      {"NY UNIQUE after repeat", "0 2 * * *", "America/New_York", "2026-10-31T02:00:00-04:00",
       "2026-11-01T02:00:00-05:00"},

      // London, spring forward: 01:00-01:59 does not exist.
      {"London SKIPPED", "30 1 * * *", "Europe/London", "2026-03-28T01:30:00Z", "2026-03-29T02:00:00+01:00"},
      {"London SKIPPED then normal", "30 1 * * *", "Europe/London", "2026-03-29T02:00:00+01:00",
       "2026-03-30T01:30:00+01:00"},
      // London, fall back: 01:00-01:59 happens twice.
      {"London REPEATED first", "30 1 * * *", "Europe/London", "2026-10-24T01:30:00+01:00",
       "2026-10-25T01:30:00+01:00"},
      {"London REPEATED not twice", "30 1 * * *", "Europe/London", "2026-10-25T01:30:00+01:00",
       "2026-10-26T01:30:00Z"},
      {"London hourly skips second 01:00", "0 * * * *", "Europe/London", "2026-10-25T01:00:00+01:00",
       "2026-10-25T02:00:00Z"},

      // Lord Howe, spring forward by 30 minutes: 02:00-02:29 does not exist.
      {"Lord Howe SKIPPED", "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T02:15:00+10:30",
       "2026-10-04T02:30:00+11:00"},
      {"Lord Howe SKIPPED then normal", "15 2 * * *", "Australia/Lord_Howe", "2026-10-04T02:30:00+11:00",
       "2026-10-05T02:15:00+11:00"},
      {"Lord Howe interval across gap", "*/10 * * * *", "Australia/Lord_Howe", "2026-10-04T01:50:00+10:30",
       "2026-10-04T02:30:00+11:00"},
      {"Lord Howe interval after gap", "*/10 * * * *", "Australia/Lord_Howe", "2026-10-04T02:30:00+11:00",
       "2026-10-04T02:40:00+11:00"},
      {"Lord Howe not-skipped half", "45 2 * * *", "Australia/Lord_Howe", "2026-10-03T02:45:00+10:30",
       "2026-10-04T02:45:00+11:00"},
      // Lord Howe, fall back by 30 minutes: 01:30-01:59 happens twice.
      {"Lord Howe REPEATED first", "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T01:45:00+11:00",
       "2026-04-05T01:45:00+11:00"},
      {"Lord Howe REPEATED not twice", "45 1 * * *", "Australia/Lord_Howe", "2026-04-05T01:45:00+11:00",
       "2026-04-06T01:45:00+10:30"},
      {"Lord Howe interval skips second pass", "*/10 * * * *", "Australia/Lord_Howe",
       "2026-04-05T01:50:00+11:00", "2026-04-05T02:00:00+10:30"},
      {"Lord Howe before repeat unaffected", "15 1 * * *", "Australia/Lord_Howe", "2026-04-04T01:15:00+11:00",
       "2026-04-05T01:15:00+11:00"},
  };
  for (const NextCase& c : cases) {
    SCOPED_TRACE(c.note + ": \"" + c.schedule + "\" in \"" + c.zone + "\" after " + c.after);
    auto schedule = CronSchedule::Parse(c.schedule, c.zone);
    ASSERT_TRUE(schedule.ok()) << CronSchedule::ErrorDetail(schedule.status());
    const absl::Time next = schedule->NextAfter(At(c.after));
    EXPECT_EQ(next, At(c.expected)) << "got " << Show(next, schedule->zone());
  }
}

// An independent reference for the DST rule: walk real time minute by minute. Instant t fires when its local
// minute is selected and t is that minute's first occurrence, or when t ends a gap (local time jumped) in
// which some skipped local minute is selected.
absl::Time BruteForceNextAfter(const CronExpression& expr, const absl::TimeZone& zone, absl::Time after,
                               int max_minutes) {
  absl::Time t = absl::FromUnixSeconds((absl::ToUnixSeconds(after) / 60) * 60) + absl::Minutes(1);
  for (int i = 0; i < max_minutes; ++i, t += absl::Minutes(1)) {
    const absl::CivilMinute local(zone.At(t).cs);
    const absl::CivilMinute previous_local(zone.At(t - absl::Minutes(1)).cs);
    const bool first_occurrence = zone.At(local).pre == t;
    if (first_occurrence && expr.Matches(local)) return t;
    for (absl::CivilMinute skipped = previous_local + 1; skipped < local; ++skipped) {
      if (expr.Matches(skipped)) return t;
    }
  }
  return absl::InfiniteFuture();
}

TEST(CronScheduleTest, AgreesWithMinuteByMinuteReferenceAroundTransitions) {
  struct Transition {
    std::string zone;
    std::string around;
  };
  const std::vector<Transition> transitions = {
      {"America/New_York", "2026-03-08T07:00:00Z"}, {"America/New_York", "2026-11-01T06:00:00Z"},
      {"Europe/London", "2026-03-29T01:00:00Z"},    {"Europe/London", "2026-10-25T01:00:00Z"},
      {"Australia/Lord_Howe", "2026-10-03T15:30:00Z"}, {"Australia/Lord_Howe", "2026-04-04T15:00:00Z"},
  };
  const std::vector<std::string> schedules = {"* * * * *",      "*/15 * * * *", "*/10 * * * *", "0 * * * *",
                                              "30 1 * * *",     "30 2 * * *",   "15,45 2 * * *",
                                              "*/10 1-3 * * *", "45 1 * * *",   "0 2 * * 0"};
  constexpr int kWindowHours = 6;
  constexpr int kReferenceLimitMinutes = 8 * 24 * 60;
  // Every other start point moves by an amount that is not a whole minute, to start inside minutes too.
  const absl::Duration kOddStride = absl::Seconds(7 * 60 + 13);
  for (const Transition& tr : transitions) {
    for (const std::string& text : schedules) {
      SCOPED_TRACE(text + " in " + tr.zone + " around " + tr.around);
      auto schedule = CronSchedule::Parse(text, tr.zone);
      ASSERT_TRUE(schedule.ok());
      const absl::Time end = At(tr.around) + absl::Hours(kWindowHours);
      absl::Time t = At(tr.around) - absl::Hours(kWindowHours);
      // Also start from instants inside minutes, not only on minute boundaries.
      for (int step = 0; t < end; ++step) {
        const absl::Time expected =
            BruteForceNextAfter(schedule->expression(), schedule->zone(), t, kReferenceLimitMinutes);
        const absl::Time actual = schedule->NextAfter(t);
        ASSERT_EQ(actual, expected) << "after " << Show(t, schedule->zone()) << ": got "
                                    << Show(actual, schedule->zone()) << ", want "
                                    << Show(expected, schedule->zone());
        t = (step % 2 == 0) ? actual : t + kOddStride;
      }
    }
  }
}

struct LastCase {
  std::string note;
  std::string schedule;
  std::string zone;
  std::string at;
  std::string expected;
};

TEST(CronScheduleTest, LastAtOrBeforeTable) {
  const std::vector<LastCase> cases = {
      {"exact fire time", "0 9 * * *", "UTC", "2026-11-23T09:00:00Z", "2026-11-23T09:00:00Z"},
      {"just before", "0 9 * * *", "UTC", "2026-11-23T08:59:59Z", "2026-11-22T09:00:00Z"},
      {"every minute, mid-minute", "* * * * *", "UTC", "2026-11-23T10:00:30Z", "2026-11-23T10:00:00Z"},
      {"leap day", "0 0 29 2 *", "UTC", "2031-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
      {"NY SKIPPED fired at gap end", "30 2 * * *", "America/New_York", "2026-03-08T03:10:00-04:00",
       "2026-03-08T03:00:00-04:00"},
      {"NY REPEATED, inside second pass", "30 1 * * *", "America/New_York", "2026-11-01T01:40:00-05:00",
       "2026-11-01T01:30:00-04:00"},
      {"NY interval, inside second pass", "*/15 * * * *", "America/New_York", "2026-11-01T01:20:00-05:00",
       "2026-11-01T01:45:00-04:00"},
      {"London interval, inside second pass", "*/15 * * * *", "Europe/London", "2026-10-25T01:59:00Z",
       "2026-10-25T01:45:00+01:00"},
      {"Lord Howe REPEATED", "45 1 * * *", "Australia/Lord_Howe", "2026-04-05T01:59:00+10:30",
       "2026-04-05T01:45:00+11:00"},
  };
  for (const LastCase& c : cases) {
    SCOPED_TRACE(c.note + ": \"" + c.schedule + "\" in \"" + c.zone + "\" at " + c.at);
    auto schedule = CronSchedule::Parse(c.schedule, c.zone);
    ASSERT_TRUE(schedule.ok()) << CronSchedule::ErrorDetail(schedule.status());
    const absl::Time last = schedule->LastAtOrBefore(At(c.at));
    EXPECT_EQ(last, At(c.expected)) << "got " << Show(last, schedule->zone());
  }
}

TEST(CronScheduleTest, LastAtOrBeforeIsTheFireTimeNextAfterSkipsTo) {
  const std::vector<std::string> zones = {"America/New_York", "Europe/London", "Australia/Lord_Howe"};
  const std::vector<std::string> schedules = {"* * * * *", "*/15 * * * *", "0 * * * *", "30 1 * * *",
                                              "30 2 * * *", "15,45 2 * * *", "45 1 * * *"};
  // Covers both 2026 transitions in all three zones.
  const absl::Time begin = At("2026-03-01T00:00:00Z");
  const absl::Time end = At("2026-11-05T00:00:00Z");
  const absl::Duration kStride = absl::Minutes(9) + absl::Seconds(17);
  for (const std::string& zone : zones) {
    for (const std::string& text : schedules) {
      SCOPED_TRACE(text + " in " + zone);
      auto schedule = CronSchedule::Parse(text, zone);
      ASSERT_TRUE(schedule.ok());
      for (absl::Time t = begin; t < end; t += kStride) {
        const absl::Time last = schedule->LastAtOrBefore(t);
        ASSERT_LE(last, t);
        // `last` is a fire time, and no fire time lies in (last, t].
        ASSERT_EQ(schedule->NextAfter(last - absl::Nanoseconds(1)), last) << Show(t, schedule->zone());
        ASSERT_GT(schedule->NextAfter(last), t) << Show(t, schedule->zone());
      }
    }
  }
}

TEST(CronScheduleTest, FireTimesIncreaseAndRepeatedHourFiresOnce) {
  auto schedule = CronSchedule::Parse("*/30 * * * *", "America/New_York");
  ASSERT_TRUE(schedule.ok());
  std::vector<std::string> fired;
  absl::Time t = At("2026-11-01T00:00:00-04:00");
  while (t < At("2026-11-01T03:00:00-05:00")) {
    const absl::Time next = schedule->NextAfter(t);
    ASSERT_GT(next, t);
    t = next;
    fired.push_back(Show(t, schedule->zone()));
  }
  EXPECT_THAT(fired, ::testing::ElementsAre("2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00",
                                            "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00",
                                            "2026-11-01T02:30:00-05:00", "2026-11-01T03:00:00-05:00"));
}

TEST(CronScheduleTest, RareScheduleIsFoundWithoutScanningEveryMinute) {
  // 29 February on a Sunday (day-of-week starts with '*', so both fields must match): 2032, then 2060.
  auto schedule = CronSchedule::Parse("0 0 29 2 */7", "Europe/London");
  ASSERT_TRUE(schedule.ok());
  absl::Time t = At("2026-01-01T00:00:00Z");
  t = schedule->NextAfter(t);
  EXPECT_EQ(t, At("2032-02-29T00:00:00Z"));
  t = schedule->NextAfter(t);
  EXPECT_EQ(t, At("2060-02-29T00:00:00Z"));
}

TEST(CronScheduleTest, KeepsTextAndZoneAsGiven) {
  auto schedule = CronSchedule::Parse("every 5 minutes", "Europe/London");
  ASSERT_TRUE(schedule.ok());
  EXPECT_EQ(schedule->schedule(), "every 5 minutes");
  EXPECT_EQ(schedule->time_zone(), "Europe/London");
  EXPECT_EQ(schedule->expression().text(), "*/5 * * * *");
  auto utc = CronSchedule::Parse("0 0 * * *", "");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(utc->time_zone(), "");
  EXPECT_EQ(utc->NextAfter(At("2026-11-23T12:00:00Z")), At("2026-11-24T00:00:00Z"));
}

struct ErrorCase {
  std::string schedule;
  std::string zone;
  std::string detail_part;
};

TEST(CronScheduleTest, RejectsBadScheduleOrZoneWithCloudSchedulerMessage) {
  const std::vector<ErrorCase> cases = {
      {"61 * * * *", "UTC", "minute field \"61\""},
      {"* * * *", "UTC", "expected 5 fields"},
      {"", "UTC", "schedule is empty"},
      {"0 0 31 2 *", "UTC", "never fire"},
      {"every 7 minutes", "UTC", "an interval of 7 minutes is not supported"},
      {"every fortnight 09:00", "UTC", "\"fortnight\" is not \"day\""},
      {"0 9 * * *", "Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\""},
      {"0 9 * * *", "America/New York", "unknown time zone"},
      {"0 9 * * *", "localtime", "unknown time zone"},
      {"0 9 * * *", "../../etc/passwd", "unknown time zone"},
      {"0 9 * * *", "/usr/share/zoneinfo/UTC", "unknown time zone"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE("\"" + c.schedule + "\" in \"" + c.zone + "\"");
    auto schedule = CronSchedule::Parse(c.schedule, c.zone);
    ASSERT_FALSE(schedule.ok());
    EXPECT_EQ(schedule.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(schedule.status().message(), "Schedule or time zone is invalid.");
    EXPECT_THAT(CronSchedule::ErrorDetail(schedule.status()), HasSubstr(c.detail_part));
  }
  EXPECT_EQ(CronSchedule::ErrorDetail(absl::InvalidArgumentError("other")), "");
}

}  // namespace
}  // namespace schedsvc::scheduler
