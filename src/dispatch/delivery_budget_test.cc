#include "src/dispatch/delivery_budget.h"

#include "gtest/gtest.h"

namespace schedsvc::dispatch {
namespace {

TEST(DeliveryBudgetTest, MarginIsAQuarterOfTheExtensionBetweenOneAndFiveSeconds) {
  EXPECT_EQ(LeaseSafetyMargin(absl::Seconds(2)), absl::Seconds(1));  // 0.5 s, raised to 1 s
  EXPECT_EQ(LeaseSafetyMargin(absl::Seconds(4)), absl::Seconds(1));
  EXPECT_EQ(LeaseSafetyMargin(absl::Seconds(10)), absl::Milliseconds(2500));
  EXPECT_EQ(LeaseSafetyMargin(absl::Seconds(15)), absl::Milliseconds(3750));
  EXPECT_EQ(LeaseSafetyMargin(absl::Seconds(20)), absl::Seconds(5));
  EXPECT_EQ(LeaseSafetyMargin(absl::Minutes(60)), absl::Seconds(5));  // the default extension
  EXPECT_EQ(LeaseSafetyMargin(absl::Hours(24)), absl::Seconds(5));
}

TEST(DeliveryBudgetTest, DeadlineIsTheLeaseEndMinusTheMargin) {
  const absl::Time received = absl::FromUnixSeconds(1'700'000'000);
  EXPECT_EQ(DeliveryDeadline(received, absl::Minutes(60)), received + absl::Minutes(60) - absl::Seconds(5));
  EXPECT_EQ(DeliveryDeadline(received, absl::Seconds(10)),
            received + absl::Seconds(10) - absl::Milliseconds(2500));
}

}  // namespace
}  // namespace schedsvc::dispatch
