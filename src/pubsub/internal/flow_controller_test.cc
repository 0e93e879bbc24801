#include "src/pubsub/internal/flow_controller.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::pubsub_internal {
namespace {

using ::testing::ElementsAre;

TEST(FlowControllerTest, HoldsMessagesBeyondTheCountLimitUntilReleased) {
  FlowController flow(2, 1000);
  std::vector<std::string> delivered;
  for (const char* id : {"a", "b", "c"}) flow.Admit(id, 1, [&delivered, id] { delivered.push_back(id); });
  EXPECT_THAT(delivered, ElementsAre("a", "b"));
  EXPECT_EQ(flow.queued(), 1u);
  flow.Release(1);
  EXPECT_THAT(delivered, ElementsAre("a", "b", "c"));
  EXPECT_EQ(flow.outstanding_messages(), 2);
}

TEST(FlowControllerTest, HoldsMessagesBeyondTheByteLimitInOrder) {
  FlowController flow(100, 100);
  std::vector<std::string> delivered;
  flow.Admit("a", 60, [&] { delivered.push_back("a"); });
  flow.Admit("b", 60, [&] { delivered.push_back("b"); });
  flow.Admit("c", 10, [&] { delivered.push_back("c"); });  // fits, but must not overtake b
  EXPECT_THAT(delivered, ElementsAre("a"));
  flow.Release(60);
  EXPECT_THAT(delivered, ElementsAre("a", "b", "c"));
}

TEST(FlowControllerTest, OversizedMessageIsAdmittedWhenNothingIsOutstanding) {
  FlowController flow(10, 100);
  bool delivered = false;
  flow.Admit("big", 1000, [&] { delivered = true; });
  EXPECT_TRUE(delivered);
}

TEST(FlowControllerTest, DrainReturnsQueuedIdsWithoutDelivering) {
  FlowController flow(1, 100);
  int delivered = 0;
  flow.Admit("a", 1, [&] { ++delivered; });
  flow.Admit("b", 1, [&] { ++delivered; });
  flow.Admit("c", 1, [&] { ++delivered; });
  EXPECT_THAT(flow.DrainQueued(), ElementsAre("b", "c"));
  flow.Release(1);
  EXPECT_EQ(delivered, 1);
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
