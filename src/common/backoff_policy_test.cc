#include "src/common/backoff_policy.h"

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(ExponentialBackoffTest, CeilingGrowsByMultiplierUpToMaximum) {
  ExponentialBackoff backoff({absl::Seconds(1), absl::Seconds(5), 2.0, 0.0});
  absl::BitGen gen;
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(1));
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(2));
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(4));
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(5));
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(5));
  backoff.Reset();
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(1));
}

TEST(ExponentialBackoffTest, FullJitterStaysWithinCeiling) {
  ExponentialBackoff backoff({absl::Seconds(1), absl::Seconds(60), 2.0, 1.0});
  absl::BitGen gen;
  for (int i = 0; i < 10; ++i) {
    absl::Duration ceiling = backoff.current_ceiling();
    absl::Duration d = backoff.NextDelay(gen);
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LE(d, ceiling);
  }
}

TEST(ExponentialBackoffTest, JitterDrawIsUsed) {
  ExponentialBackoff backoff({absl::Seconds(10), absl::Seconds(60), 2.0, 1.0});
  absl::MockingBitGen gen;
  EXPECT_CALL(absl::MockUniform<double>(), Call(absl::IntervalClosedClosed, gen, 0.0, 10.0))
      .WillOnce(::testing::Return(3.5));
  EXPECT_EQ(backoff.NextDelay(gen), absl::Seconds(3.5));
}

}  // namespace
}  // namespace schedsvc
