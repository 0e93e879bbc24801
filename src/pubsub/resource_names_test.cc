#include "src/pubsub/resource_names.h"

#include "gtest/gtest.h"

namespace schedsvc::pubsub {
namespace {

TEST(ResourceNamesTest, BuildsAndParsesFullNames) {
  EXPECT_EQ(*MakeTopicName("p1", "orders"), "projects/p1/topics/orders");
  EXPECT_EQ(*MakeSubscriptionName("p1", "orders-sub"), "projects/p1/subscriptions/orders-sub");
  auto parsed = ParseSubscriptionName("projects/p1/subscriptions/orders-sub");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->project, "p1");
  EXPECT_EQ(parsed->id, "orders-sub");
}

TEST(ResourceNamesTest, RejectsInvalidIdsWithTheRule) {
  struct Case {
    const char* id;
    const char* rule;
  } cases[] = {
      {"ab", "3 to 255"},       {"1abc", "start with a letter"}, {"goog-x", "goog"},
      {"has space", "only letters"}, {"a/b/c", "only letters"},
  };
  for (const auto& c : cases) {
    auto s = ValidateResourceId(c.id, "topic");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.id;
    EXPECT_NE(s.message().find(c.rule), absl::string_view::npos) << c.id << ": " << s.message();
  }
  EXPECT_TRUE(ValidateResourceId("a.b~c+d%e_f-g", "topic").ok());
  EXPECT_FALSE(ValidateResourceId(std::string(256, 'a'), "topic").ok());
}

TEST(ResourceNamesTest, ResolvesIdsWithProject) {
  EXPECT_EQ(*ResolveTopicName("jobs", "p"), "projects/p/topics/jobs");
  EXPECT_EQ(*ResolveTopicName("projects/q/topics/jobs", "p"), "projects/q/topics/jobs");
  EXPECT_FALSE(ResolveTopicName("jobs", "").ok());
  EXPECT_FALSE(ResolveSubscriptionName("projects/q/topics/jobs", "p").ok());
  EXPECT_FALSE(ParseTopicName("projects/q/topics").ok());
}

}  // namespace
}  // namespace schedsvc::pubsub
