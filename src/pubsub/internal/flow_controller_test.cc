#include "src/pubsub/internal/flow_controller.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::pubsub_internal {
namespace {

using ::testing::ElementsAre;

// As the session does: delivers at once what Admit admits; the rest is delivered by a later Release.
void Admit(FlowController& flow, const std::string& id, std::int64_t bytes, const std::function<void()>& deliver) {
  if (flow.Admit(id, bytes, [&] { return deliver; })) deliver();
}

TEST(FlowControllerTest, HoldsMessagesBeyondTheCountLimitUntilReleased) {
  FlowController flow(2, 1000);
  std::vector<std::string> delivered;
  for (const char* id : {"a", "b", "c"}) Admit(flow, id, 1, [&delivered, id] { delivered.push_back(id); });
  EXPECT_THAT(delivered, ElementsAre("a", "b"));
  EXPECT_EQ(flow.queued(), 1u);
  bool made = false;
  EXPECT_FALSE(flow.Admit("d", 1, [&] {  // queued behind c, not admitted
    made = true;
    return std::function<void()>([] {});
  }));
  EXPECT_TRUE(made);
  flow.Release(1);
  EXPECT_THAT(delivered, ElementsAre("a", "b", "c"));
  EXPECT_EQ(flow.outstanding_messages(), 2);
  EXPECT_EQ(flow.queued(), 1u);
}

TEST(FlowControllerTest, HoldsMessagesBeyondTheByteLimitInOrder) {
  FlowController flow(100, 100);
  std::vector<std::string> delivered;
  Admit(flow, "a", 60, [&] { delivered.push_back("a"); });
  Admit(flow, "b", 60, [&] { delivered.push_back("b"); });
  Admit(flow, "c", 10, [&] { delivered.push_back("c"); });  // fits, but must not overtake b
  EXPECT_THAT(delivered, ElementsAre("a"));
  flow.Release(60);
  EXPECT_THAT(delivered, ElementsAre("a", "b", "c"));
}

TEST(FlowControllerTest, AdmittedMessageBuildsNoDeliveryClosure) {
  FlowController flow(1, 100);
  int made = 0;
  auto make = [&] {
    ++made;
    return std::function<void()>([] {});
  };
  EXPECT_TRUE(flow.Admit("a", 1, make));
  EXPECT_EQ(made, 0);
  EXPECT_FALSE(flow.Admit("b", 1, make));
  EXPECT_EQ(made, 1);
}

TEST(FlowControllerTest, OversizedMessageIsAdmittedWhenNothingIsOutstanding) {
  FlowController flow(10, 100);
  bool delivered = false;
  Admit(flow, "big", 1000, [&] { delivered = true; });
  EXPECT_TRUE(delivered);
}

TEST(FlowControllerTest, DrainReturnsQueuedIdsWithoutDelivering) {
  FlowController flow(1, 100);
  int delivered = 0;
  Admit(flow, "a", 1, [&] { ++delivered; });
  Admit(flow, "b", 1, [&] { ++delivered; });
  Admit(flow, "c", 1, [&] { ++delivered; });
  EXPECT_THAT(flow.DrainQueued(), ElementsAre("b", "c"));
  flow.Release(1);
  EXPECT_EQ(delivered, 1);
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
