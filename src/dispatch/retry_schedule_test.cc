#include "src/dispatch/retry_schedule.h"

#include <cstdint>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::_;
using ::testing::Return;
using Action = RetryDecision::Action;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);
constexpr absl::Duration kAttemptTimeout = absl::Seconds(30);

config::RetryConfig Retry(int max_attempts) {
  config::RetryConfig retry;
  retry.max_attempts = max_attempts;
  retry.initial_backoff = absl::Seconds(1);
  retry.max_backoff = absl::Seconds(10);
  retry.multiplier = 2.0;
  return retry;
}

TEST(RetryScheduleTest, CeilingGrowsExponentiallyUpToMax) {
  RetrySchedule schedule(Retry(10), kAttemptTimeout);
  EXPECT_EQ(schedule.BackoffCeiling(1), absl::Seconds(1));
  EXPECT_EQ(schedule.BackoffCeiling(2), absl::Seconds(2));
  EXPECT_EQ(schedule.BackoffCeiling(3), absl::Seconds(4));
  EXPECT_EQ(schedule.BackoffCeiling(4), absl::Seconds(8));
  EXPECT_EQ(schedule.BackoffCeiling(5), absl::Seconds(10));
  EXPECT_EQ(schedule.BackoffCeiling(60), absl::Seconds(10));
}

TEST(RetryScheduleTest, DrawsFullJitterBetweenZeroAndCeiling) {
  RetrySchedule schedule(Retry(10), kAttemptTimeout);
  absl::MockingBitGen gen;
  EXPECT_CALL(absl::MockUniform<std::int64_t>(), Call(absl::IntervalClosedClosed, gen, 0, 4000))
      .WillOnce(Return(1234));
  RetryDecision decision =
      schedule.AfterFailure(3, kStart, kStart + absl::Hours(1), absl::nullopt, gen);
  EXPECT_EQ(decision.action, Action::kRetry);
  EXPECT_EQ(decision.delay, absl::Milliseconds(1234));
}

TEST(RetryScheduleTest, RetryAfterIsAFloorOnTheDelay) {
  RetrySchedule schedule(Retry(10), kAttemptTimeout);
  absl::MockingBitGen gen;
  EXPECT_CALL(absl::MockUniform<std::int64_t>(), Call(absl::IntervalClosedClosed, gen, 0, 1000))
      .WillRepeatedly(Return(500));
  EXPECT_EQ(schedule.AfterFailure(1, kStart, kStart + absl::Hours(1), absl::Seconds(7), gen).delay,
            absl::Seconds(7));
  EXPECT_EQ(
      schedule.AfterFailure(1, kStart, kStart + absl::Hours(1), absl::Milliseconds(100), gen).delay,
      absl::Milliseconds(500));
}

TEST(RetryScheduleTest, GivesUpWhenAttemptsAreExhausted) {
  RetrySchedule schedule(Retry(3), kAttemptTimeout);
  absl::MockingBitGen gen;
  EXPECT_CALL(absl::MockUniform<std::int64_t>(), Call(absl::IntervalClosedClosed, gen, _, _)).WillRepeatedly(Return(0));
  EXPECT_TRUE(schedule.AfterFailure(2, kStart, kStart + absl::Hours(1), absl::nullopt, gen).retry());
  RetryDecision decision =
      schedule.AfterFailure(3, kStart, kStart + absl::Hours(1), absl::nullopt, gen);
  EXPECT_EQ(decision.action, Action::kAttemptsExhausted);
  EXPECT_EQ(RetryActionName(decision.action), "attempts_exhausted");
}

TEST(RetryScheduleTest, ZeroMaxAttemptsRetriesForAsLongAsTheBudgetLasts) {
  constexpr int kNoAttemptLimit = 0;
  constexpr int kManyAttempts = 1000;
  RetrySchedule schedule(Retry(kNoAttemptLimit), kAttemptTimeout);
  absl::MockingBitGen gen;
  EXPECT_CALL(absl::MockUniform<std::int64_t>(), Call(absl::IntervalClosedClosed, gen, _, _))
      .WillRepeatedly(Return(0));
  for (int attempts : {1, 3, 100, kManyAttempts}) {
    EXPECT_TRUE(schedule.AfterFailure(attempts, kStart, kStart + absl::Hours(1), absl::nullopt, gen).retry())
        << attempts;
  }
  // Only the budget ends it.
  EXPECT_EQ(schedule.AfterFailure(kManyAttempts, kStart, kStart, absl::nullopt, gen).action,
            Action::kBudgetSpent);
}

TEST(RetryScheduleTest, GivesUpWhenTheNextAttemptWouldNotFitTheBudget) {
  RetrySchedule schedule(Retry(10), kAttemptTimeout, /*min_attempt_time=*/absl::Seconds(1));
  absl::MockingBitGen gen;
  EXPECT_CALL(absl::MockUniform<std::int64_t>(), Call(absl::IntervalClosedClosed, gen, _, _))
      .WillRepeatedly(Return(3000));
  // Delay 3 s + 1 s minimum attempt fits in exactly 4 s.
  EXPECT_TRUE(
      schedule.AfterFailure(3, kStart, kStart + absl::Seconds(4), absl::nullopt, gen).retry());
  RetryDecision decision = schedule.AfterFailure(3, kStart, kStart + absl::Milliseconds(3999),
                                                 absl::nullopt, gen);
  EXPECT_EQ(decision.action, Action::kBudgetSpent);
  EXPECT_EQ(decision.delay, absl::Seconds(3));
  // A Retry-After beyond the budget gives up too, and caps the nack delay at Pub/Sub's limit.
  RetryDecision far = schedule.AfterFailure(1, kStart, kStart + absl::Minutes(5),
                                            absl::Hours(2), gen);
  EXPECT_EQ(far.action, Action::kBudgetSpent);
  EXPECT_EQ(far.delay, RetrySchedule::kMaxNackDelay);
}

TEST(RetryScheduleTest, AttemptTimeoutIsClippedToRemainingBudget) {
  RetrySchedule schedule(Retry(3), kAttemptTimeout);
  EXPECT_EQ(schedule.AttemptTimeout(kStart, kStart + absl::Hours(1)), kAttemptTimeout);
  EXPECT_EQ(schedule.AttemptTimeout(kStart, kStart + absl::Seconds(12)), absl::Seconds(12));
  EXPECT_EQ(schedule.AttemptTimeout(kStart, kStart), absl::ZeroDuration());
  EXPECT_EQ(schedule.AttemptTimeout(kStart + absl::Seconds(1), kStart), absl::ZeroDuration());
}

}  // namespace
}  // namespace schedsvc::dispatch
