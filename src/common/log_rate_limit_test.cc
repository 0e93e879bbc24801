#include "src/common/log_rate_limit.h"

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

constexpr absl::Duration kInterval = absl::Seconds(10);

TEST(LogRateLimitTest, OneLinePerIntervalCarryingWhatWasLeftOut) {
  LogRateLimit limit;
  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  std::int64_t suppressed = -1;
  ASSERT_TRUE(limit.Admit(start, kInterval, &suppressed));
  EXPECT_EQ(suppressed, 0);
  for (int i = 1; i <= 3; ++i) EXPECT_FALSE(limit.Admit(start + absl::Seconds(i), kInterval, &suppressed));
  EXPECT_FALSE(limit.Admit(start + kInterval - absl::Nanoseconds(1), kInterval, &suppressed));
  ASSERT_TRUE(limit.Admit(start + kInterval, kInterval, &suppressed));
  EXPECT_EQ(suppressed, 4);
  ASSERT_TRUE(limit.Admit(start + 3 * kInterval, kInterval, &suppressed));
  EXPECT_EQ(suppressed, 0);
}

TEST(LogRateLimitTest, TakeSuppressedReportsAndRestartsTheCount) {
  LogRateLimit limit;
  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  std::int64_t suppressed = -1;
  ASSERT_TRUE(limit.Admit(start, kInterval, &suppressed));
  EXPECT_FALSE(limit.Admit(start + absl::Seconds(1), kInterval, &suppressed));
  EXPECT_EQ(limit.TakeSuppressed(), 1);
  EXPECT_EQ(limit.TakeSuppressed(), 0);
  // Taking the count does not open a line early.
  EXPECT_FALSE(limit.Admit(start + absl::Seconds(2), kInterval, &suppressed));
}

}  // namespace
}  // namespace schedsvc
