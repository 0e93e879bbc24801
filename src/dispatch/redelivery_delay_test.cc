#include "src/dispatch/redelivery_delay.h"

#include <limits>

#include "gtest/gtest.h"

namespace schedsvc::dispatch {
namespace {

constexpr absl::Duration kInitial = absl::Seconds(60);
constexpr absl::Duration kMax = absl::Seconds(600);

config::RedeliveryConfig Config(absl::Duration initial, absl::Duration max) {
  config::RedeliveryConfig c;
  c.initial_delay = initial;
  c.max_delay = max;
  return c;
}

TEST(RedeliveryDelayTest, DoublesWithEachDeliveryAttemptUpToTheCap) {
  const auto c = Config(kInitial, kMax);
  EXPECT_EQ(RedeliveryDelay(c, 1), absl::Seconds(60));
  EXPECT_EQ(RedeliveryDelay(c, 2), absl::Seconds(120));
  EXPECT_EQ(RedeliveryDelay(c, 3), absl::Seconds(240));
  EXPECT_EQ(RedeliveryDelay(c, 4), absl::Seconds(480));
  EXPECT_EQ(RedeliveryDelay(c, 5), absl::Seconds(600));
  EXPECT_EQ(RedeliveryDelay(c, 6), absl::Seconds(600));
}

TEST(RedeliveryDelayTest, UnknownDeliveryAttemptCountsAsTheFirst) {
  const auto c = Config(kInitial, kMax);
  EXPECT_EQ(RedeliveryDelay(c, 0), kInitial);
  EXPECT_EQ(RedeliveryDelay(c, -3), kInitial);
}

TEST(RedeliveryDelayTest, HugeAttemptNumbersStayAtTheCap) {
  const auto c = Config(absl::Seconds(1), kMax);
  EXPECT_EQ(RedeliveryDelay(c, std::numeric_limits<int>::max()), kMax);
}

TEST(RedeliveryDelayTest, EqualInitialAndMaxIsAConstantDelay) {
  const auto c = Config(absl::Seconds(30), absl::Seconds(30));
  EXPECT_EQ(RedeliveryDelay(c, 1), absl::Seconds(30));
  EXPECT_EQ(RedeliveryDelay(c, 4), absl::Seconds(30));
}

TEST(RedeliveryDelayTest, DefaultsSpanFiveDeliveriesOverTwentyFiveMinutes) {
  // With the defaults, the waits between five deliveries are 60 + 120 + 240 + 480 = 900 s, and the
  // fifth is followed by 600 s: maxDeliveryAttempts 5 spans minutes of outage, not seconds.
  const config::RedeliveryConfig defaults;
  absl::Duration total;
  for (int k = 1; k <= 4; ++k) total += RedeliveryDelay(defaults, k);
  EXPECT_EQ(total, absl::Seconds(900));
}

}  // namespace
}  // namespace schedsvc::dispatch
