#include "src/cli/dlq_command.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/cli/fake_dlq_pubsub.h"
#include "src/pubsub/limits.h"
#include "testing/fake_clock.h"

namespace schedsvc::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSubscription[] = "projects/p/subscriptions/dead-inspect";
constexpr char kTopic[] = "projects/p/topics/work";
// The subscription's ack deadline: Pub/Sub's default and minimum.
constexpr absl::Duration kAckDeadline = absl::Seconds(10);
// Messages per pull in these tests, so a handful of messages takes several batches.
constexpr int kBatch = 3;
// --limit of a replay that feeds itself, so that without its guard it still ends.
constexpr int kLoopBound = 50;

class DlqCommandTest : public ::testing::Test {
 protected:
  DlqReplayOptions ReplayOptions() {
    DlqReplayOptions o;
    o.subscription = kSubscription;
    o.to_topic = kTopic;
    o.pacing = FastPacing();
    return o;
  }
  static DlqPullPacing FastPacing() {
    DlqPullPacing p;
    p.wait = absl::Milliseconds(1);
    p.empty_pulls_to_stop = 1;
    p.empty_pause = absl::ZeroDuration();
    p.batch = kBatch;
    return p;
  }
  absl::StatusOr<ReplayCounts> Replay(const DlqReplayOptions& o) {
    return ReplayDeadLetters(o, client_, publisher_, clock_, out_, err_);
  }

  testing::FakeClock clock_;
  FakeDlqAdminClient client_{clock_, kAckDeadline};
  FakeDlqPublisher publisher_{clock_};
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(DlqCommandTest, ReplaysInBatchesAndAcksOnlyWhatIsConfirmed) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(client_.Add(absl::StrCat("order-", i), {{"backend", "demo"}, {"schedsvc.reason", "http_4xx"}}));
  }
  publisher_.fail_data = {"order-4"};
  auto counts = Replay(ReplayOptions());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 6);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->skipped, 0);
  EXPECT_EQ(publisher_.flushes(), 3) << "one publish round per batch of " << kBatch;
  ASSERT_EQ(publisher_.published().size(), 6u);
  for (const auto& m : publisher_.published()) {
    EXPECT_EQ(m.attributes, (std::map<std::string, std::string>{{"backend", "demo"}}));
  }
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(client_.deliveries(ids[i]), 1) << ids[i];
    EXPECT_EQ(client_.acked(ids[i]), i != 4) << ids[i];
  }
  EXPECT_EQ(client_.available(), 1) << "the failed one is released, not left leased";
  EXPECT_THAT(out_.str(), HasSubstr(absl::StrCat("failed ", ids[4], ": publish: publish failed on purpose")));
}

TEST_F(DlqCommandTest, SlowPublishesOfABigBacklogNeverOutliveALease) {
  // Publishing each batch takes 45 s, far past the 10 s ack deadline; half the messages are filtered
  // out and stay held for the whole run. Without lease extension they would be redelivered mid-run and
  // the replayed ones acked too late (stale ack ids): replayed twice.
  constexpr int kMessages = 30;
  publisher_.publish_latency = absl::Seconds(45);
  std::vector<std::string> ids;
  for (int i = 0; i < kMessages; ++i) {
    ids.push_back(client_.Add(absl::StrCat("order-", i), {{"kind", i % 2 == 0 ? "replay" : "keep"}}));
  }
  DlqReplayOptions o = ReplayOptions();
  o.filter = "kind=replay";
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, kMessages / 2);
  EXPECT_EQ(counts->skipped, kMessages / 2);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(client_.stale_acks(), 0);
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(client_.deliveries(ids[i]), 1) << ids[i] << " was redelivered during the run";
    EXPECT_EQ(client_.acked(ids[i]), i % 2 == 0) << ids[i];
  }
  EXPECT_EQ(publisher_.published().size(), static_cast<size_t>(kMessages / 2));
  EXPECT_EQ(client_.available(), kMessages / 2) << "the filtered-out ones are released at the end";
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(DlqCommandTest, LimitCountsMatchingMessagesNotPulledOnes) {
  // The first six do not match; the next four do.
  for (int i = 0; i < 6; ++i) client_.Add(absl::StrCat("other-", i), {{"backend", "other"}});
  std::vector<std::string> matching;
  for (int i = 0; i < 4; ++i) matching.push_back(client_.Add(absl::StrCat("demo-", i), {{"backend", "demo"}}));
  DlqReplayOptions o = ReplayOptions();
  o.filter = "backend=demo";
  o.limit = 3;
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 3);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(counts->skipped, 6);
  ASSERT_EQ(publisher_.published().size(), 3u);
  for (const auto& m : publisher_.published()) EXPECT_EQ(m.attributes.at("backend"), "demo");
  EXPECT_TRUE(client_.acked(matching[0]));
  EXPECT_TRUE(client_.acked(matching[2]));
  EXPECT_FALSE(client_.acked(matching[3])) << "past the limit";
  EXPECT_EQ(client_.available(), 7) << "6 filtered out + 1 past the limit, all released";
}

TEST_F(DlqCommandTest, LimitWithoutFilterStopsAtTheLimit) {
  for (int i = 0; i < 5; ++i) client_.Add(absl::StrCat("order-", i), {});
  DlqReplayOptions o = ReplayOptions();
  o.limit = 4;
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 4);
  EXPECT_EQ(client_.acked_ids().size(), 4u);
  EXPECT_EQ(client_.available(), 1);
}

TEST_F(DlqCommandTest, DryRunPublishesNothingAcksNothingAndReleasesEverything) {
  for (int i = 0; i < 5; ++i) client_.Add(absl::StrCat("order-", i), {{"n", i < 2 ? "x" : "y"}});
  DlqReplayOptions o = ReplayOptions();
  o.dry_run = true;
  o.filter = "n=y";
  o.limit = 2;
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 2);
  EXPECT_EQ(ReplaySummary(*counts, true), "dry run: would replay 2, skipped by filter 2, failed 0");
  EXPECT_THAT(publisher_.published(), IsEmpty());
  EXPECT_THAT(client_.acked_ids(), IsEmpty());
  EXPECT_EQ(client_.available(), 5);
}

TEST_F(DlqCommandTest, APullErrorSaysHowFarTheReplayGot) {
  client_.Add("order-1", {});
  client_.FailPull(absl::PermissionDeniedError("no subscriber role"));
  auto counts = Replay(ReplayOptions());
  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(counts.status().message(), HasSubstr(absl::StrCat("pulling ", kSubscription, ": no subscriber role")));
  EXPECT_THAT(counts.status().message(), HasSubstr("stopped after replayed 0, skipped by filter 0, failed 0"));
}

TEST_F(DlqCommandTest, BadLimitAndFilterAreInvalidArguments) {
  DlqReplayOptions o = ReplayOptions();
  o.limit = -1;
  auto counts = Replay(o);
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(counts.status().message(), HasSubstr("--limit must be 0 (all) or more, got -1"));
  o = ReplayOptions();
  o.filter = "=v";
  EXPECT_EQ(Replay(o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.pulls(), 0) << "nothing pulled for bad input";
}

TEST_F(DlqCommandTest, RefusesToReplayIntoTheTopicTheSubscriptionReads) {
  client_.Add("order-1", {});
  client_.subscription_topic = kTopic;
  for (const std::string& to : {std::string(kTopic), std::string("work")}) {
    DlqReplayOptions o = ReplayOptions();
    o.to_topic = to;
    o.project = "p";
    auto counts = Replay(o);
    ASSERT_FALSE(counts.ok()) << to;
    EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(counts.status().message(), HasSubstr(absl::StrCat("refusing to replay into ", kTopic)));
    EXPECT_THAT(counts.status().message(), HasSubstr(absl::StrCat(kSubscription, " reads")));
  }
  EXPECT_EQ(client_.pulls(), 0);
  EXPECT_THAT(publisher_.published(), IsEmpty());
}

TEST_F(DlqCommandTest, WithoutTheSubscriptionsTopicItWarnsAndStillGuardsItself) {
  client_.Add("order-1", {});
  client_.get_subscription_error = absl::PermissionDeniedError("no viewer role");
  auto counts = Replay(ReplayOptions());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot tell which topic"));
}

// However the copies come back (the topic is the one the subscription reads under another name, or
// schedule-service dead-letters them again at once), the replay stops at the first copy of its own instead
// of republishing it for ever.
TEST_F(DlqCommandTest, StopsWhenItsOwnCopiesComeBack) {
  for (bool as_dead_letter : {false, true}) {
    FakeDlqAdminClient client(clock_, kAckDeadline);
    FakeDlqPublisher publisher(clock_);
    for (int i = 0; i < 2 * kBatch; ++i) client.Add(absl::StrCat("order-", i), {{"backend", "demo"}});
    publisher.feeds = &client;
    publisher.feeds_as_dead_letter = as_dead_letter;
    // Bounded, so a replay without the guard ends too.
    DlqReplayOptions o = ReplayOptions();
    o.limit = kLoopBound;
    auto counts = ReplayDeadLetters(o, client, publisher, clock_, out_, err_);
    ASSERT_FALSE(counts.ok()) << "as dead letter: " << as_dead_letter;
    EXPECT_EQ(counts.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(counts.status().message(), HasSubstr("published by this replay"));
    EXPECT_EQ(publisher.published().size(), static_cast<std::size_t>(2 * kBatch))
        << "each dead letter replayed once, no copy of a copy";
  }
}

TEST_F(DlqCommandTest, IdsReplayOnlyTheNamedDeadLettersAndSkipTheRest) {
  std::vector<std::string> ids;
  for (int i = 0; i < 2 * kBatch; ++i) ids.push_back(client_.Add(absl::StrCat("order-", i), {{"n", "x"}}));
  DlqReplayOptions o = ReplayOptions();
  o.ids = {ids[1], ids[4]};
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 2);
  EXPECT_EQ(counts->skipped, 2 * kBatch - 2);
  ASSERT_EQ(publisher_.published().size(), 2u);
  EXPECT_EQ(publisher_.published()[0].data, "order-1");
  EXPECT_EQ(publisher_.published()[1].data, "order-4");
  for (int i = 0; i < 2 * kBatch; ++i) EXPECT_EQ(client_.acked(ids[i]), i == 1 || i == 4) << ids[i];
  EXPECT_EQ(client_.available(), 2 * kBatch - 2) << "the others are released";
}

TEST_F(DlqCommandTest, IdsEndTheRunOnceEveryNamedDeadLetterIsSettled) {
  // A big backlog: replaying one id must not pull (and hold) the rest of it.
  constexpr int kBacklog = 10 * kBatch;
  std::vector<std::string> ids;
  for (int i = 0; i < kBacklog; ++i) ids.push_back(client_.Add(absl::StrCat("order-", i), {{"n", "x"}}));
  DlqReplayOptions o = ReplayOptions();
  o.ids = {ids[1]};
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 1);
  EXPECT_EQ(counts->skipped, kBatch - 1) << "only the rest of the wanted one's batch";
  EXPECT_EQ(client_.pulls(), 1) << "the run ends once the wanted id is settled";
  EXPECT_EQ(client_.deliveries(ids[kBatch]), 0) << "the next batch was never pulled";
  EXPECT_TRUE(client_.acked(ids[1]));
  EXPECT_EQ(client_.available(), kBacklog - 1) << "what was held is released";
}

TEST_F(DlqCommandTest, IdsEndTheRunAlsoWhenTheNamedDeadLetterFailsToPublish) {
  constexpr int kBacklog = 10 * kBatch;
  std::vector<std::string> ids;
  for (int i = 0; i < kBacklog; ++i) ids.push_back(client_.Add(absl::StrCat("order-", i), {}));
  publisher_.fail_data = {"order-4"};
  DlqReplayOptions o = ReplayOptions();
  o.ids = {ids[0], ids[4]};
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 1);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->skipped, 2 * kBatch - 2);
  EXPECT_EQ(client_.pulls(), 2);
  EXPECT_FALSE(client_.acked(ids[4]));
  EXPECT_EQ(client_.available(), kBacklog - 1) << "the failed one is released with the rest";
}

TEST_F(DlqCommandTest, SetAttributeOverridesAndAddsOnTheReplayedCopyOnly) {
  const std::string id =
      client_.Add("order", {{"path", "/broken"}, {"backend", "demo"}, {"schedsvc.reason", "http_4xx"}});
  DlqReplayOptions o = ReplayOptions();
  o.set_attributes = {"path=/fixed", "extra=a=b", "empty="};
  auto counts = Replay(o);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->replayed, 1);
  ASSERT_EQ(publisher_.published().size(), 1u);
  EXPECT_EQ(publisher_.published()[0].attributes,
            (std::map<std::string, std::string>{
                {"path", "/fixed"}, {"backend", "demo"}, {"extra", "a=b"}, {"empty", ""}}));
  EXPECT_TRUE(client_.acked(id));
}

TEST_F(DlqCommandTest, BadSetAttributeAndEmptyIdAreRefusedBeforeAnythingIsPulled) {
  client_.Add("order", {});
  const std::string long_key(pubsub::kMaxAttributeKeyBytes + 1, 'k');
  const std::string long_value(pubsub::kMaxAttributeValueBytes + 1, 'v');
  for (const std::string& bad : {std::string("novalue"), std::string("=x"), std::string("schedsvc.error=x"),
                                 std::string("CloudPubSubDeadLetterSourceDeliveryCount=1"), long_key + "=x",
                                 "k=" + long_value}) {
    DlqReplayOptions o = ReplayOptions();
    o.set_attributes = {"path=/ok", bad};
    auto counts = Replay(o);
    ASSERT_FALSE(counts.ok()) << bad;
    EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(counts.status().message(), HasSubstr("--set-attribute")) << bad;
  }
  DlqReplayOptions o = ReplayOptions();
  o.ids = {""};
  auto counts = Replay(o);
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(counts.status().message(), HasSubstr("--id must not be empty"));
  EXPECT_EQ(client_.pulls(), 0) << "nothing pulled for bad input";
  EXPECT_THAT(publisher_.published(), IsEmpty());
}

TEST_F(DlqCommandTest, ListShowsUpToTheLimitWithReasonsAndReleasesThem) {
  client_.Add("ours", {{"backend", "demo"}, {"schedsvc.reason", "http_4xx"}});
  client_.Add("pubsubs", {{"backend", "demo"}, {"CloudPubSubDeadLetterSourceDeliveryCount", "5"},
                          {"CloudPubSubDeadLetterSourceSubscription", "work-sub"}});
  client_.Add("third", {});
  DlqListOptions o;
  o.subscription = kSubscription;
  o.limit = 2;
  o.pacing = FastPacing();
  EXPECT_EQ(RunDlqList(o, client_, clock_, out_, err_), kExitOk) << err_.str();
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("  reason: http_4xx\n"));
  EXPECT_THAT(out, HasSubstr("  reason: max delivery attempts (5)\n"));
  EXPECT_THAT(out, HasSubstr("  why   CloudPubSubDeadLetterSourceSubscription=work-sub\n"));
  EXPECT_THAT(out, Not(HasSubstr("third")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\n2 dead letter(s) on ", kSubscription, " (left in place)\n")));
  EXPECT_THAT(client_.acked_ids(), IsEmpty());
  EXPECT_EQ(client_.available(), 3);
}

TEST_F(DlqCommandTest, ListRejectsANegativeLimit) {
  DlqListOptions o;
  o.subscription = kSubscription;
  o.limit = -5;
  EXPECT_EQ(RunDlqList(o, client_, clock_, out_, err_), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--limit must be 0 (all) or more, got -5"));
}

}  // namespace
}  // namespace schedsvc::cli
