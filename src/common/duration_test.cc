#include "src/common/duration.h"

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(DurationTest, ParsesUnitsAndBareSeconds) {
  EXPECT_EQ(*ParseDurationText("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDurationText("6m"), absl::Minutes(6));
  EXPECT_EQ(*ParseDurationText("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationText("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDurationText("600"), absl::Seconds(600));
}

TEST(DurationTest, RejectsGarbageAndNegatives) {
  auto bad = ParseDurationText("ten seconds");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ten seconds"), std::string::npos);
  EXPECT_FALSE(ParseDurationText("-5s").ok());
  EXPECT_FALSE(ParseDurationText("").ok());
  EXPECT_FALSE(ParseDurationText("inf").ok());
}

TEST(DurationTest, FormatsReadably) { EXPECT_EQ(FormatDurationText(absl::Seconds(1110)), "18m30s"); }

}  // namespace
}  // namespace schedsvc
