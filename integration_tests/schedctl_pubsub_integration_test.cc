// `schedctl pubsub apply` and `schedctl dlq list/replay` end to end: the built schedctl binary against
// the official Pub/Sub emulator. Apply is idempotent (the second run changes nothing) and reports
// updates; dead letters are listed with their reasons without being consumed, replayed with their
// original attributes to the topic, arrive on a subscription of it, and leave the dead-letter
// subscription empty.
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc {
namespace {

using ::schedsvc::testing::RunResult;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

const absl::Duration kRunTimeout = absl::Seconds(60);
constexpr char kTopic[] = "projects/local-project/topics/work";
constexpr char kSubscription[] = "projects/local-project/subscriptions/work-sub";
constexpr char kDeadLetterTopic[] = "projects/local-project/topics/work-dead";
constexpr char kInspect[] = "projects/local-project/subscriptions/work-dead-inspect";

constexpr char kConfig[] = R"(
subscription: projects/local-project/subscriptions/work-sub
dead_letter_topic: work-dead
backends:
  demo:
    url: http://127.0.0.1:1
)";

// The output's lines, to assert a whole line (a summary) rather than a substring that a per-message line
// could also contain ("would replay 3" is also the start of "would replay 31 (...)").
std::vector<std::string> Lines(const std::string& output) { return absl::StrSplit(output, '\n'); }

class SchedctlPubsubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = testing::PubsubEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = std::move(*emulator);
    ::setenv("PUBSUB_EMULATOR_HOST", emulator_->host_port().c_str(), 1);
    admin_ = pubsub::MakeAdminClient();
    config_path_ = Path("config.yaml");
    std::ofstream(config_path_) << kConfig;
  }
  void TearDown() override { ::unsetenv("PUBSUB_EMULATOR_HOST"); }

  std::string Path(const std::string& name) {
    return absl::StrCat(::testing::TempDir(), "/schedctl_pubsub_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", name);
  }

  RunResult Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {absl::StrCat(testing::BuildDir(), "/src/cli/schedctl")};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = Path(absl::StrCat("run", runs_++, ".log"));
    auto result = testing::RunToExit(argv, {{"PUBSUB_EMULATOR_HOST", emulator_->host_port()}}, log, kRunTimeout);
    if (!result.ok()) {
      ADD_FAILURE() << result.status();
      return {};
    }
    return *std::move(result);
  }

  RunResult Apply() { return Run({"pubsub", "apply", "--config", config_path_, "--topic", "work"}); }

  // Publishes `data` with `attributes` to the dead-letter topic.
  void PublishToDeadLetterTopic(const std::string& data, std::map<std::string, std::string> attributes) {
    auto publisher = pubsub::MakePublisher({.topic = kDeadLetterTopic});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    pubsub::OutgoingMessage m;
    m.data = data;
    m.attributes = std::move(attributes);
    auto id = (*publisher)->Publish(std::move(m)).get();
    ASSERT_TRUE(id.ok()) << id.status();
    (*publisher)->Shutdown();
  }

  // Publishes a dead letter as schedule-service would: original attributes plus schedsvc.* ones.
  void PublishDeadLetter(const std::string& data, const std::string& backend, const std::string& reason) {
    PublishToDeadLetterTopic(data, {{"backend", backend},
                                    {"path", "/orders"},
                                    {"schedsvc.reason", reason},
                                    {"schedsvc.backend", backend},
                                    {"schedsvc.http_status", "400"},
                                    {"CloudPubSubDeadLetterSourceDeliveryCount", "5"}});
  }

  // Creates a subscription on the work topic, to see replays arrive. Returns its name.
  std::string CreateVerifySubscription() {
    google::pubsub::v1::Subscription verify;
    verify.set_name("projects/local-project/subscriptions/verify");
    verify.set_topic(kTopic);
    auto created = admin_->CreateSubscription(verify);
    EXPECT_TRUE(created.ok()) << created.status();
    return verify.name();
  }

  // Pulls everything from `subscription` (acking it), waiting up to ~10 s for `expected` messages.
  std::vector<google::pubsub::v1::PubsubMessage> Drain(const std::string& subscription, size_t expected) {
    std::vector<google::pubsub::v1::PubsubMessage> out;
    for (int i = 0; i < 50 && out.size() < expected; ++i) {
      auto batch = admin_->Pull(subscription, 100);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok()) break;
      std::vector<std::string> ack_ids;
      for (const auto& rm : *batch) {
        out.push_back(rm.message());
        ack_ids.push_back(rm.ack_id());
      }
      if (!ack_ids.empty()) {
        EXPECT_TRUE(admin_->Acknowledge(subscription, ack_ids).ok());
      }
      if (batch->empty()) absl::SleepFor(absl::Milliseconds(200));
    }
    return out;
  }

  std::unique_ptr<testing::PubsubEmulator> emulator_;
  std::unique_ptr<pubsub::AdminClient> admin_;
  std::string config_path_;
  int runs_ = 0;
};

TEST_F(SchedctlPubsubTest, ApplyTwiceChangesNothingTheSecondTime) {
  RunResult first = Apply();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat("topic ", kTopic, ": created")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat("topic ", kDeadLetterTopic, ": created")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat("subscription ", kSubscription, ": created")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat("subscription ", kInspect, ": created")));
  EXPECT_THAT(first.output, HasSubstr("roles/pubsub.publisher"));
  EXPECT_THAT(first.output, HasSubstr("gcp-sa-pubsub.iam.gserviceaccount.com"));

  auto sub = admin_->GetSubscription(kSubscription);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->topic(), kTopic);
  EXPECT_EQ(sub->ack_deadline_seconds(), 600);
  EXPECT_EQ(sub->dead_letter_policy().dead_letter_topic(), kDeadLetterTopic);
  EXPECT_EQ(sub->dead_letter_policy().max_delivery_attempts(), 5);

  RunResult second = Apply();
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, Not(HasSubstr("created")));
  EXPECT_THAT(second.output, Not(HasSubstr("updated")));
  EXPECT_THAT(second.output, HasSubstr("Nothing to change."));

  RunResult third = Run({"pubsub", "apply", "--config", config_path_, "--ack-deadline", "300",
                         "--max-delivery-attempts", "7"});
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_THAT(third.output, HasSubstr("updated: ack_deadline_seconds 600 → 300"));
  EXPECT_THAT(third.output, HasSubstr("max_delivery_attempts 5 → 7"));
  sub = admin_->GetSubscription(kSubscription);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->ack_deadline_seconds(), 300);
  EXPECT_EQ(sub->dead_letter_policy().max_delivery_attempts(), 7);
}

TEST_F(SchedctlPubsubTest, ApplyWithoutTopicForANewSubscriptionIsAClearError) {
  RunResult r = Run({"pubsub", "apply", "--config", config_path_});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pass --topic"));
}

TEST_F(SchedctlPubsubTest, DeadLettersAreListedReplayedAndGone) {
  ASSERT_EQ(Apply().exit_code, 0);
  // A subscription on the topic, to see the replays arrive.
  google::pubsub::v1::Subscription verify;
  verify.set_name("projects/local-project/subscriptions/verify");
  verify.set_topic(kTopic);
  ASSERT_TRUE(admin_->CreateSubscription(verify).ok());

  PublishDeadLetter("order-1", "demo", "http-400");
  PublishDeadLetter("order-2", "demo", "http-400");
  PublishDeadLetter("order-3", "other", "attempts-exhausted");

  // Listing twice shows all three both times: nothing is consumed.
  for (int i = 0; i < 2; ++i) {
    RunResult list = Run({"dlq", "list", "--subscription", kInspect});
    ASSERT_EQ(list.exit_code, 0) << list.output;
    EXPECT_THAT(Lines(list.output), Contains(absl::StrCat("3 dead letter(s) on ", kInspect, " (left in place)")))
        << list.output;
    EXPECT_THAT(list.output, HasSubstr("reason: http-400"));
    EXPECT_THAT(list.output, HasSubstr("reason: attempts-exhausted"));
    EXPECT_THAT(list.output, HasSubstr("CloudPubSubDeadLetterSourceDeliveryCount=5"));
  }
  RunResult json = Run({"dlq", "list", "--subscription", kInspect, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"reason\": \"http-400\""));

  RunResult dry = Run({"dlq", "replay", "--subscription", kInspect, "--to", "work", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_THAT(Lines(dry.output), Contains("dry run: would replay 3, skipped by filter 0, failed 0")) << dry.output;

  RunResult filtered = Run({"dlq", "replay", "--subscription", kInspect, "--to", "work", "--filter",
                            "schedsvc.backend=demo"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.output;
  EXPECT_THAT(Lines(filtered.output), Contains("replayed 2, skipped by filter 1, failed 0")) << filtered.output;

  std::vector<google::pubsub::v1::PubsubMessage> arrived = Drain(verify.name(), 2);
  ASSERT_EQ(arrived.size(), 2u);
  std::set<std::string> data;
  for (const auto& m : arrived) {
    data.insert(m.data());
    EXPECT_EQ(m.attributes().at("backend"), "demo");
    EXPECT_EQ(m.attributes().at("path"), "/orders");
    EXPECT_EQ(m.attributes().size(), 2u) << "bookkeeping attributes must be stripped";
  }
  EXPECT_EQ(data, (std::set<std::string>{"order-1", "order-2"}));

  RunResult rest = Run({"dlq", "replay", "--subscription", kInspect, "--to", kTopic});
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_THAT(Lines(rest.output), Contains("replayed 1, skipped by filter 0, failed 0")) << rest.output;
  arrived = Drain(verify.name(), 1);
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].data(), "order-3");

  RunResult empty = Run({"dlq", "list", "--subscription", kInspect});
  ASSERT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_THAT(Lines(empty.output), Contains(absl::StrCat("0 dead letter(s) on ", kInspect, " (left in place)")))
      << empty.output;
  // Nothing replayed twice: the topic got exactly three messages.
  EXPECT_TRUE(Drain(verify.name(), 1).empty());
}

TEST_F(SchedctlPubsubTest, LimitCountsMatchingMessagesInListAndReplay) {
  ASSERT_EQ(Apply().exit_code, 0);
  const std::string verify = CreateVerifySubscription();
  // Non-matching dead letters first: a limit applied before the filter would pull mostly these.
  constexpr int kOther = 4;
  constexpr int kDemo = 3;
  constexpr int kLimit = 2;
  for (int i = 0; i < kOther; ++i) PublishDeadLetter(absl::StrCat("other-", i), "other", "http-400");
  for (int i = 0; i < kDemo; ++i) PublishDeadLetter(absl::StrCat("demo-", i), "demo", "http-400");

  RunResult list = Run({"dlq", "list", "--subscription", kInspect, "--limit", "3"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(Lines(list.output), Contains(absl::StrCat("3 dead letter(s) on ", kInspect, " (left in place)")))
      << list.output;

  RunResult replay = Run({"dlq", "replay", "--subscription", kInspect, "--to", "work", "--filter",
                          "schedsvc.backend=demo", "--limit", absl::StrCat(kLimit)});
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  // How many non-matching ones were pulled (skipped) before the matches depends on the emulator's order.
  EXPECT_THAT(Lines(replay.output),
              Contains(MatchesRegex(absl::StrCat("replayed ", kLimit, ", skipped by filter [0-9]+, failed 0"))))
      << replay.output;
  std::vector<google::pubsub::v1::PubsubMessage> arrived = Drain(verify, kLimit);
  ASSERT_EQ(arrived.size(), static_cast<size_t>(kLimit));
  for (const auto& m : arrived) EXPECT_EQ(m.attributes().at("backend"), "demo");
  EXPECT_TRUE(Drain(verify, 1).empty()) << "more than --limit replayed";

  // What was not replayed is still there; --limit 0 lists all of it.
  RunResult rest = Run({"dlq", "list", "--subscription", kInspect, "--limit", "0"});
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_THAT(Lines(rest.output),
              Contains(absl::StrCat(kOther + kDemo - kLimit, " dead letter(s) on ", kInspect, " (left in place)")))
      << rest.output;

  RunResult negative = Run({"dlq", "list", "--subscription", kInspect, "--limit", "-1"});
  EXPECT_EQ(negative.exit_code, 2) << negative.output;
  EXPECT_THAT(negative.output, HasSubstr("--limit"));
}

TEST_F(SchedctlPubsubTest, ADeadLetterWithOnlyPubsubsAttributesIsListedWithItsReasonAndReplayedClean) {
  ASSERT_EQ(Apply().exit_code, 0);
  const std::string verify = CreateVerifySubscription();
  // What Pub/Sub's own dead-letter policy forwards: the message plus CloudPubSubDeadLetter* attributes.
  PublishToDeadLetterTopic("order-9", {{"CloudPubSubDeadLetterSourceDeliveryCount", "5"},
                                       {"CloudPubSubDeadLetterSourceSubscription", "work-sub"},
                                       {"CloudPubSubDeadLetterSourceSubscriptionProject", "local-project"},
                                       {"CloudPubSubDeadLetterSourceTopicPublishTime", "2026-01-01T00:00:00Z"}});

  RunResult list = Run({"dlq", "list", "--subscription", kInspect});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  const std::vector<std::string> lines = Lines(list.output);
  EXPECT_THAT(lines, Contains("  reason: max delivery attempts (5)")) << list.output;
  EXPECT_THAT(lines, Contains("  why   CloudPubSubDeadLetterSourceSubscription=work-sub")) << list.output;
  EXPECT_THAT(lines, Contains("  data: order-9 (7 bytes)")) << list.output;
  EXPECT_THAT(lines, Contains(absl::StrCat("1 dead letter(s) on ", kInspect, " (left in place)"))) << list.output;
  RunResult json = Run({"dlq", "list", "--subscription", kInspect, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"reason\": \"max delivery attempts (5)\""));

  RunResult replay = Run({"dlq", "replay", "--subscription", kInspect, "--to", "work"});
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_THAT(Lines(replay.output), Contains("replayed 1, skipped by filter 0, failed 0")) << replay.output;
  std::vector<google::pubsub::v1::PubsubMessage> arrived = Drain(verify, 1);
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].data(), "order-9");
  EXPECT_TRUE(arrived[0].attributes().empty()) << "Pub/Sub's dead-letter attributes must be stripped";
}

// The replay that once republished ~160,000 copies a minute: --to the dead-letter topic itself.
TEST_F(SchedctlPubsubTest, ReplayIntoTheTopicTheSubscriptionReadsIsRefused) {
  ASSERT_EQ(Apply().exit_code, 0);
  PublishDeadLetter("order-1", "demo", "http_4xx");
  for (const std::string& to : {std::string(kDeadLetterTopic), std::string("work-dead")}) {
    RunResult r = Run({"dlq", "replay", "--subscription", kInspect, "--to", to});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(absl::StrCat("refusing to replay into ", kDeadLetterTopic))) << r.output;
  }
  // Nothing consumed, nothing added: the one dead letter is still the only one.
  RunResult list = Run({"dlq", "list", "--subscription", kInspect, "--limit", "0"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(Lines(list.output), Contains(absl::StrCat("1 dead letter(s) on ", kInspect, " (left in place)")))
      << list.output;
}

TEST_F(SchedctlPubsubTest, BadFilterIsAUsageError) {
  ASSERT_EQ(Apply().exit_code, 0);
  RunResult r = Run({"dlq", "replay", "--subscription", kInspect, "--to", "work", "--filter", "noequals"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--filter must be KEY=VALUE"));
}

}  // namespace
}  // namespace schedsvc
