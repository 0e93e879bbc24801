#include "src/scheduler/json_time.h"

#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

TEST(JsonTimeTest, DurationsFormatAndParseLikeProto3Json) {
  EXPECT_EQ(FormatJsonDuration(absl::Seconds(600)), "600s");
  EXPECT_EQ(FormatJsonDuration(absl::Milliseconds(250)), "0.250s");
  EXPECT_EQ(FormatJsonDuration(absl::Microseconds(1500)), "0.001500s");
  EXPECT_EQ(FormatJsonDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(*ParseJsonDuration("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseJsonDuration("0.000000001s"), absl::Nanoseconds(1));
  EXPECT_FALSE(ParseJsonDuration("5").ok());
  EXPECT_FALSE(ParseJsonDuration("1e3s").ok());
}

}  // namespace
}  // namespace schedsvc::scheduler
