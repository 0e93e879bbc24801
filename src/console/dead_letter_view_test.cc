#include "src/console/dead_letter_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/cli/fake_dlq_pubsub.h"
#include "testing/fake_clock.h"

namespace schedsvc::console {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSubscription[] = "projects/p/subscriptions/dead-inspect";
constexpr char kTopic[] = "projects/p/topics/work";
constexpr absl::Duration kAckDeadline = absl::Seconds(60);
constexpr int kBatch = 2;

class DeadLetterViewTest : public ::testing::Test {
 protected:
  DeadLetterViewOptions Options() {
    DeadLetterViewOptions o;
    o.subscription = kSubscription;
    o.replay_topic = kTopic;
    o.pacing = {absl::Milliseconds(1), 1, absl::ZeroDuration(), kBatch};
    return o;
  }
  PublisherFactory Factory() {
    return [this](const std::string& topic) -> absl::StatusOr<std::unique_ptr<pubsub::Publisher>> {
      topics_.push_back(topic);
      return std::make_unique<cli::ForwardingPublisher>(publisher_);
    };
  }

  testing::FakeClock clock_;
  cli::FakeDlqAdminClient client_{clock_, kAckDeadline};
  cli::FakeDlqPublisher publisher_{clock_};
  std::vector<std::string> topics_;
};

TEST_F(DeadLetterViewTest, ListShowsEveryDeadLetterAndConsumesNothing) {
  const std::string a = client_.Add("one", {{"schedsvc.error", "HTTP 400"}, {"schedsvc.message_id", "o-1"}});
  client_.Add("two", {{"CloudPubSubDeadLetterSourceDeliveryCount", "5"}});
  client_.Add("three", {});
  DeadLetterView view(Options(), client_, Factory(), clock_);
  auto list = view.List();
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)["subscription"], kSubscription);
  ASSERT_EQ((*list)["messages"].size(), 3u) << "more than one pull batch";
  EXPECT_EQ((*list)["messages"][0]["id"], a);
  EXPECT_EQ((*list)["messages"][0]["reason"], "HTTP 400");
  EXPECT_EQ((*list)["messages"][0]["originalMessageId"], "o-1");
  EXPECT_EQ((*list)["messages"][1]["reason"], "delivery attempts exhausted");
  EXPECT_THAT(client_.acked_ids(), IsEmpty());
  EXPECT_EQ(client_.available(), 3) << "released, not left leased";
  EXPECT_THAT(topics_, IsEmpty()) << "listing publishes nothing";
}

TEST_F(DeadLetterViewTest, ReplayOfOneIdWithACorrectedAttributeGoesToTheOriginalTopic) {
  client_.Add("one", {{"path", "/ok"}});
  const std::string bad = client_.Add("two", {{"path", "/bad"}, {"schedsvc.error", "HTTP 400"}});
  DeadLetterView view(Options(), client_, Factory(), clock_);
  ReplayRequest request;
  request.ids = {bad};
  request.set_attributes = {{"path", "/fixed"}};
  auto counts = view.Replay(request);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 1);
  EXPECT_EQ(counts->skipped, 1);
  EXPECT_EQ(topics_, std::vector<std::string>{kTopic});
  ASSERT_EQ(publisher_.published().size(), 1u);
  EXPECT_EQ(publisher_.published()[0].data, "two");
  EXPECT_EQ(publisher_.published()[0].attributes, (std::map<std::string, std::string>{{"path", "/fixed"}}));
  EXPECT_TRUE(client_.acked(bad));
  EXPECT_EQ(client_.available(), 1);
}

TEST_F(DeadLetterViewTest, ABadReplayRequestPullsNothingAndMakesNoPublisher) {
  client_.Add("one", {});
  DeadLetterView view(Options(), client_, Factory(), clock_);
  ReplayRequest request;
  request.set_attributes = {{"schedsvc.error", "x"}};
  auto counts = view.Replay(request);
  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(counts.status().message(), HasSubstr("bookkeeping"));
  EXPECT_THAT(counts.status().message(), HasSubstr("setAttributes"));
  EXPECT_THAT(counts.status().message(), Not(HasSubstr("--set-attribute")));
  EXPECT_EQ(client_.pulls(), 0);
  EXPECT_THAT(topics_, IsEmpty());
}

TEST_F(DeadLetterViewTest, ReplayErrorsNameTheRequestsMembersNotTheCliFlags) {
  client_.Add("one", {});
  DeadLetterView view(Options(), client_, Factory(), clock_);
  ReplayRequest request;
  request.ids = {""};
  auto counts = view.Replay(request);
  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(counts.status().message(), HasSubstr("ids"));
  EXPECT_THAT(counts.status().message(), Not(HasSubstr("--id")));
  EXPECT_EQ(client_.pulls(), 0);
  EXPECT_THAT(topics_, IsEmpty());
}

TEST_F(DeadLetterViewTest, APullErrorNamesTheSubscription) {
  client_.FailPull(absl::UnavailableError("emulator down"));
  DeadLetterView view(Options(), client_, Factory(), clock_);
  auto list = view.List();
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(list.status().message(), HasSubstr(absl::StrCat("pulling ", kSubscription, ": emulator down")));
}

}  // namespace
}  // namespace schedsvc::console
