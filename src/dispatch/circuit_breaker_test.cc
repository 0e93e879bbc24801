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

config::CircuitBreakerConfig Config(int half_open_probes = 1) {
  config::CircuitBreakerConfig config;
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

TEST(CircuitBreakerTest, DisabledNeverOpens) {
  testing::FakeClock clock;
  config::CircuitBreakerConfig config = Config();
  config.enabled = false;
  CircuitBreaker breaker(config, clock);
  Report(breaker, 0, 10 * kMinimumRequests);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_EQ(CircuitStateName(breaker.state()), "closed");
}

}  // namespace
}  // namespace schedsvc::dispatch
