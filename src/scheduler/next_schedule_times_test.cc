#include "src/scheduler/next_schedule_times.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/json_time.h"
#include "testing/fake_clock.h"

namespace schedsvc::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

absl::Time At(const std::string& rfc3339) {
  absl::StatusOr<absl::Time> t = ParseJsonTimestamp(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : absl::InfinitePast();
}

Job MakeJob(const std::string& schedule, const std::string& time_zone) {
  Job job;
  job.set_name("projects/p/locations/l/jobs/j");
  job.set_schedule(schedule);
  job.set_time_zone(time_zone);
  job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
  job.set_state(Job::ENABLED);
  return job;
}

// Each fire time as "<UTC> <local>", for readable expectations.
std::vector<std::string> Texts(const NextScheduleTimes& next) {
  std::vector<std::string> out;
  for (const ScheduledFireTime& t : next.times) out.push_back(absl::StrCat(FormatJsonTimestamp(t.time), " ", t.local_time));
  return out;
}

TEST(NextScheduleTimesTest, BerlinSpringForwardFiresOnceAtTheTransition) {
  // Europe/Berlin skips 02:00-03:00 local on 2026-03-29: the 02:30 run fires at 03:00 CEST.
  testing::FakeClock clock(At("2026-03-27T12:00:00Z"));
  absl::StatusOr<NextScheduleTimes> next =
      ComputeNextScheduleTimes(MakeJob("30 2 * * *", "Europe/Berlin"), clock, 3);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->time_zone, "Europe/Berlin");
  EXPECT_THAT(Texts(*next), ElementsAre("2026-03-28T01:30:00Z 2026-03-28T02:30:00+01:00",
                                        "2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00",
                                        "2026-03-30T00:30:00Z 2026-03-30T02:30:00+02:00"));
}

TEST(NextScheduleTimesTest, NewYorkFallBackFiresTheRepeatedHourOnce) {
  // America/New_York repeats 01:00-02:00 local on 2026-11-01: every half hour fires through the first
  // (EDT) pass and next at 02:00 EST.
  testing::FakeClock clock(At("2026-11-01T03:59:00Z"));
  absl::StatusOr<NextScheduleTimes> next =
      ComputeNextScheduleTimes(MakeJob("*/30 * * * *", "America/New_York"), clock, 5);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Texts(*next), ElementsAre("2026-11-01T04:00:00Z 2026-11-01T00:00:00-04:00",
                                        "2026-11-01T04:30:00Z 2026-11-01T00:30:00-04:00",
                                        "2026-11-01T05:00:00Z 2026-11-01T01:00:00-04:00",
                                        "2026-11-01T05:30:00Z 2026-11-01T01:30:00-04:00",
                                        "2026-11-01T07:00:00Z 2026-11-01T02:00:00-05:00"));
}

TEST(NextScheduleTimesTest, NewYorkDailyRunKeepsItsLocalTimeAcrossTheChange) {
  testing::FakeClock clock(At("2026-10-31T00:00:00Z"));
  absl::StatusOr<NextScheduleTimes> next =
      ComputeNextScheduleTimes(MakeJob("30 1 * * *", "America/New_York"), clock, 3);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Texts(*next), ElementsAre("2026-10-31T05:30:00Z 2026-10-31T01:30:00-04:00",
                                        "2026-11-01T05:30:00Z 2026-11-01T01:30:00-04:00",
                                        "2026-11-02T06:30:00Z 2026-11-02T01:30:00-05:00"));
}

TEST(NextScheduleTimesTest, EnglishLikeScheduleInItsZone) {
  // 2026-03-25 is a Wednesday; Berlin is on CEST from the 29th.
  testing::FakeClock clock(At("2026-03-25T12:00:00Z"));
  absl::StatusOr<NextScheduleTimes> next =
      ComputeNextScheduleTimes(MakeJob("every monday 09:00", "Europe/Berlin"), clock, 2);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Texts(*next), ElementsAre("2026-03-30T07:00:00Z 2026-03-30T09:00:00+02:00",
                                        "2026-04-06T07:00:00Z 2026-04-06T09:00:00+02:00"));
}

TEST(NextScheduleTimesTest, StrictlyAfterNowAndUtcWithoutATimeZone) {
  testing::FakeClock clock(At("2026-01-01T10:00:00Z"));
  absl::StatusOr<NextScheduleTimes> next = ComputeNextScheduleTimes(MakeJob("0 * * * *", ""), clock, 2);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->time_zone, kDefaultJobTimeZone);
  EXPECT_THAT(Texts(*next), ElementsAre("2026-01-01T11:00:00Z 2026-01-01T11:00:00+00:00",
                                        "2026-01-01T12:00:00Z 2026-01-01T12:00:00+00:00"));
  // The clock is read at each call.
  clock.AdvanceTime(absl::Hours(1) + absl::Seconds(1));
  next = ComputeNextScheduleTimes(MakeJob("0 * * * *", ""), clock, 1);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Texts(*next), ElementsAre("2026-01-01T12:00:00Z 2026-01-01T12:00:00+00:00"));
}

TEST(NextScheduleTimesTest, CountBounds) {
  testing::FakeClock clock(At("2026-01-01T10:00:00Z"));
  const Job job = MakeJob("* * * * *", "Etc/UTC");
  for (int bad : {kMinNextScheduleTimes - 1, kMaxNextScheduleTimes + 1, -5}) {
    absl::StatusOr<NextScheduleTimes> next = ComputeNextScheduleTimes(job, clock, bad);
    EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(next.status().message()), HasSubstr("between 1 and 100")) << bad;
  }
  absl::StatusOr<NextScheduleTimes> most = ComputeNextScheduleTimes(job, clock, kMaxNextScheduleTimes);
  ASSERT_TRUE(most.ok()) << most.status();
  ASSERT_THAT(most->times, SizeIs(kMaxNextScheduleTimes));
  EXPECT_EQ(most->times.back().time, At("2026-01-01T11:40:00Z"));
  absl::StatusOr<NextScheduleTimes> least = ComputeNextScheduleTimes(job, clock, kMinNextScheduleTimes);
  ASSERT_TRUE(least.ok()) << least.status();
  EXPECT_THAT(least->times, SizeIs(kMinNextScheduleTimes));
}

TEST(NextScheduleTimesTest, PausedJobGetsTheTimesItWouldFireOnceResumed) {
  testing::FakeClock clock(At("2026-03-27T12:00:00Z"));
  Job enabled = MakeJob("30 2 * * *", "Europe/Berlin");
  Job paused = enabled;
  paused.set_state(Job::PAUSED);
  absl::StatusOr<NextScheduleTimes> a = ComputeNextScheduleTimes(enabled, clock, 4);
  absl::StatusOr<NextScheduleTimes> b = ComputeNextScheduleTimes(paused, clock, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(Texts(*a), Texts(*b));
  EXPECT_THAT(b->times, SizeIs(4));
}

TEST(NextScheduleTimesTest, InvalidStoredScheduleIsAnError) {
  testing::FakeClock clock;
  absl::StatusOr<NextScheduleTimes> next = ComputeNextScheduleTimes(MakeJob("61 * * * *", "Etc/UTC"), clock, 1);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace schedsvc::scheduler
