#include "src/dispatch/circuit_breaker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace schedsvc::dispatch {
namespace {

using State = CircuitBreaker::State;

constexpr int kMinimumRequests = 10;
constexpr absl::Duration kWindow = absl::Seconds(30);
constexpr absl::Duration kOpenDuration = absl::Seconds(15);
constexpr int kConsecutiveFailures = 5;
// A scheduled job's pace: one message, and so one attempt, a minute.
constexpr absl::Duration kOneRunAMinute = absl::Minutes(1);

// The rate rule alone (consecutive_failures 0), so tests of the window see only it.
config::CircuitBreakerConfig Config(int half_open_probes = 1) {
  config::CircuitBreakerConfig config;
  config.consecutive_failures = 0;
  config.failure_rate_threshold = 0.5;
  config.minimum_requests = kMinimumRequests;
  config.window = kWindow;
  config.open_duration = kOpenDuration;
  config.half_open_probes = half_open_probes;
  return config;
}

void Report(CircuitBreaker& breaker, int successes, int failures) {
  for (int i = 0; i < successes; ++i) {
    ASSERT_TRUE(breaker.AllowRequest());
    breaker.OnSuccess();
  }
  for (int i = 0; i < failures; ++i) {
    ASSERT_TRUE(breaker.AllowRequest());
    breaker.OnFailure();
  }
}

void OpenIt(CircuitBreaker& breaker) {
  Report(breaker, 0, kMinimumRequests);
  ASSERT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreakerTest, StaysClosedBelowMinimumVolume) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  Report(breaker, 0, kMinimumRequests - 1);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_TRUE(breaker.AllowRequest());
}

TEST(CircuitBreakerTest, OpensAtFailureRateThreshold) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  Report(breaker, 6, 5);  // 5/11 < 0.5
  EXPECT_EQ(breaker.state(), State::kClosed);
  Report(breaker, 0, 1);  // 6/12 = 0.5
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_FALSE(breaker.AllowRequest());
  EXPECT_EQ(breaker.open_until(), clock.Now() + kOpenDuration);
}

TEST(CircuitBreakerTest, OldResultsLeaveTheWindow) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  Report(breaker, 0, kMinimumRequests - 1);
  clock.AdvanceTime(kWindow + absl::Seconds(2));
  // The earlier failures have aged out: 1 failure + 9 successes is not enough.
  Report(breaker, kMinimumRequests - 1, 1);
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST(CircuitBreakerTest, HalfOpenAfterOpenDurationAdmitsOneProbe) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  OpenIt(breaker);
  clock.AdvanceTime(kOpenDuration - absl::Milliseconds(1));
  EXPECT_FALSE(breaker.AllowRequest());
  clock.AdvanceTime(absl::Milliseconds(1));
  EXPECT_TRUE(breaker.AllowRequest());
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_FALSE(breaker.AllowRequest()) << "only one probe at a time";
  breaker.OnSuccess();
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_TRUE(breaker.AllowRequest());
}

TEST(CircuitBreakerTest, FailedProbeReopensForAnotherOpenDuration) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  OpenIt(breaker);
  clock.AdvanceTime(kOpenDuration);
  ASSERT_TRUE(breaker.AllowRequest());
  breaker.OnFailure();
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_EQ(breaker.open_until(), clock.Now() + kOpenDuration);
  EXPECT_FALSE(breaker.AllowRequest());
}

TEST(CircuitBreakerTest, NeedsAllProbesToSucceedToClose) {
  constexpr int kProbes = 3;
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(kProbes), clock);
  OpenIt(breaker);
  clock.AdvanceTime(kOpenDuration);
  for (int i = 0; i < kProbes; ++i) ASSERT_TRUE(breaker.AllowRequest());
  EXPECT_FALSE(breaker.AllowRequest());
  breaker.OnSuccess();
  breaker.OnSuccess();
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_FALSE(breaker.AllowRequest()) << "the third probe is still in flight";
  breaker.OnSuccess();
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST(CircuitBreakerTest, AbandonedProbeFreesItsSlot) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  OpenIt(breaker);
  clock.AdvanceTime(kOpenDuration);
  ASSERT_TRUE(breaker.AllowRequest());
  EXPECT_FALSE(breaker.AllowRequest());
  breaker.OnAbandoned();
  EXPECT_TRUE(breaker.AllowRequest());
}

TEST(CircuitBreakerTest, ClosingClearsTheOldWindow) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);
  OpenIt(breaker);
  clock.AdvanceTime(kOpenDuration);
  ASSERT_TRUE(breaker.AllowRequest());
  breaker.OnSuccess();
  ASSERT_EQ(breaker.state(), State::kClosed);
  // One new failure must not reopen it on the strength of pre-open history.
  Report(breaker, 0, 1);
  EXPECT_EQ(breaker.state(), State::kClosed);
}

// The consecutive rule, with a rate rule that the tests never reach.
config::CircuitBreakerConfig ConsecutiveConfig() {
  constexpr int kRateRuleNeverReached = 1000;
  config::CircuitBreakerConfig config = Config();
  config.consecutive_failures = kConsecutiveFailures;
  config.minimum_requests = kRateRuleNeverReached;
  return config;
}

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresAtOneAttemptAMinute) {
  testing::FakeClock clock;
  CircuitBreaker breaker(ConsecutiveConfig(), clock);
  // Far below the rate rule's minimum volume in its 30 s window: only the consecutive rule can open it.
  for (int i = 0; i < kConsecutiveFailures - 1; ++i) {
    Report(breaker, 0, 1);
    clock.AdvanceTime(kOneRunAMinute);
  }
  EXPECT_EQ(breaker.state(), State::kClosed);
  Report(breaker, 0, 1);
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_FALSE(breaker.AllowRequest());
  EXPECT_EQ(breaker.open_until(), clock.Now() + kOpenDuration);
}

TEST(CircuitBreakerTest, ASuccessResetsTheConsecutiveCount) {
  testing::FakeClock clock;
  CircuitBreaker breaker(ConsecutiveConfig(), clock);
  Report(breaker, 0, kConsecutiveFailures - 1);
  Report(breaker, 1, 0);
  Report(breaker, 0, kConsecutiveFailures - 1);
  EXPECT_EQ(breaker.state(), State::kClosed);
  Report(breaker, 0, 1);
  EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreakerTest, ClosingAfterAProbeStartsTheConsecutiveCountAfresh) {
  testing::FakeClock clock;
  CircuitBreaker breaker(ConsecutiveConfig(), clock);
  Report(breaker, 0, kConsecutiveFailures);
  ASSERT_EQ(breaker.state(), State::kOpen);
  clock.AdvanceTime(kOpenDuration);
  ASSERT_TRUE(breaker.AllowRequest());
  breaker.OnSuccess();
  ASSERT_EQ(breaker.state(), State::kClosed);
  Report(breaker, 0, kConsecutiveFailures - 1);
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST(CircuitBreakerTest, ZeroConsecutiveFailuresDisablesTheRule) {
  testing::FakeClock clock;
  CircuitBreaker breaker(Config(), clock);  // consecutive_failures 0
  for (int i = 0; i < 3 * kMinimumRequests; ++i) {
    Report(breaker, 0, 1);
    clock.AdvanceTime(kOneRunAMinute);
  }
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST(CircuitBreakerTest, DefaultConfigOpensOnConsecutiveFailures) {
  testing::FakeClock clock;
  const config::CircuitBreakerConfig defaults;
  CircuitBreaker breaker(defaults, clock);
  for (int i = 0; i < defaults.consecutive_failures; ++i) {
    Report(breaker, 0, 1);
    clock.AdvanceTime(kOneRunAMinute);
  }
  EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreakerTest, DisabledNeverOpens) {
  testing::FakeClock clock;
  config::CircuitBreakerConfig config = Config();
  config.enabled = false;
  config.consecutive_failures = kConsecutiveFailures;
  CircuitBreaker breaker(config, clock);
  Report(breaker, 0, 10 * kMinimumRequests);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_EQ(CircuitStateName(breaker.state()), "closed");
}

}  // namespace
}  // namespace schedsvc::dispatch
