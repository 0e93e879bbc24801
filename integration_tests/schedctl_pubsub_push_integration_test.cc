// `schedctl pubsub apply` for a push subscription against the official Pub/Sub emulator: the push
// config (endpoint, OIDC service account and audience, no-wrapper options), ackDeadlineSeconds from
// push.ack_deadline and the retry and dead-letter policies are stored as GetSubscription shows them;
// re-applying changes nothing; a changed endpoint is updated; a subscription of the other kind is
// reported, not converted. Runs the apply steps in-process with ServiceConfig structs (the schedctl
// binary reads YAML, which needs the config loader's push keys).
#include <unistd.h>

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/cli/pubsub_apply_command.h"
#include "src/pubsub/admin_client.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTopic[] = "projects/local-project/topics/work";
constexpr char kSubscription[] = "projects/local-project/subscriptions/work-push";
constexpr char kDeadLetterTopic[] = "projects/local-project/topics/work-dead";
// Nothing listens here; no message is published, so the emulator never pushes.
constexpr char kEndpoint[] = "http://127.0.0.1:9/pubsub/push";
constexpr char kOtherEndpoint[] = "http://127.0.0.1:10/pubsub/push";
constexpr char kPusher[] = "pusher@local-project.iam.gserviceaccount.com";
constexpr char kAudience[] = "https://schedule.example.com/pubsub/push";
constexpr int kPushAckDeadlineSeconds = 120;
constexpr int kMaxDeliveryAttempts = 20;
const absl::Duration kMinBackoff = absl::Seconds(15);
const absl::Duration kMaxBackoff = absl::Seconds(300);

config::ServiceConfig PushConfig() {
  config::ServiceConfig c;
  c.subscription = kSubscription;
  c.dead_letter_topic = kDeadLetterTopic;
  c.ingest = config::IngestMode::kPush;
  c.push.ack_deadline = absl::Seconds(kPushAckDeadlineSeconds);
  c.push.oidc.audience = kAudience;
  c.push.oidc.service_accounts = {kPusher};
  return c;
}

config::ServiceConfig PullConfig() {
  config::ServiceConfig c = PushConfig();
  c.ingest = config::IngestMode::kPull;
  return c;
}

cli::PubsubApplyOptions PushOptions(const std::string& endpoint = kEndpoint) {
  cli::PubsubApplyOptions o;
  o.topic = kTopic;
  o.push_endpoint = endpoint;
  o.push_no_wrapper = true;
  o.push_write_metadata = true;
  o.max_delivery_attempts = kMaxDeliveryAttempts;
  o.min_backoff = kMinBackoff;
  o.max_backoff = kMaxBackoff;
  return o;
}

absl::Duration Seconds(const google::protobuf::Duration& d) { return absl::Seconds(d.seconds()); }

class SchedctlPubsubPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = testing::PubsubEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = std::move(*emulator);
    ::setenv("PUBSUB_EMULATOR_HOST", emulator_->host_port().c_str(), 1);
    admin_ = pubsub::MakeAdminClient();
  }
  void TearDown() override { ::unsetenv("PUBSUB_EMULATOR_HOST"); }

  // Resolves and applies; returns the changed count or the error, with the output in `output_`.
  absl::StatusOr<int> Apply(const config::ServiceConfig& config, const cli::PubsubApplyOptions& options) {
    auto setup = cli::ResolvePubsubSetup(config, options);
    if (!setup.ok()) return setup.status();
    std::ostringstream out;
    auto changed = cli::ApplyPubsubSetup(*setup, *admin_, out);
    output_ = out.str();
    return changed;
  }

  std::unique_ptr<testing::PubsubEmulator> emulator_;
  std::unique_ptr<pubsub::AdminClient> admin_;
  std::string output_;
};

TEST_F(SchedctlPubsubPushTest, PushSubscriptionIsStoredAsAppliedAndReapplyingChangesNothing) {
  auto first = Apply(PushConfig(), PushOptions());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(output_, HasSubstr(absl::StrCat("subscription ", kSubscription, ": created (push to ", kEndpoint,
                                              ")")));

  auto sub = admin_->GetSubscription(kSubscription);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->topic(), kTopic);
  EXPECT_EQ(sub->ack_deadline_seconds(), kPushAckDeadlineSeconds);
  EXPECT_EQ(sub->push_config().push_endpoint(), kEndpoint);
  ASSERT_TRUE(sub->push_config().has_oidc_token());
  EXPECT_EQ(sub->push_config().oidc_token().service_account_email(), kPusher);
  EXPECT_EQ(sub->push_config().oidc_token().audience(), kAudience);
  ASSERT_TRUE(sub->push_config().has_no_wrapper());
  EXPECT_TRUE(sub->push_config().no_wrapper().write_metadata());
  EXPECT_EQ(sub->dead_letter_policy().dead_letter_topic(), kDeadLetterTopic);
  EXPECT_EQ(sub->dead_letter_policy().max_delivery_attempts(), kMaxDeliveryAttempts);
  EXPECT_EQ(Seconds(sub->retry_policy().minimum_backoff()), kMinBackoff);
  EXPECT_EQ(Seconds(sub->retry_policy().maximum_backoff()), kMaxBackoff);

  auto second = Apply(PushConfig(), PushOptions());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 0) << output_;
  EXPECT_THAT(output_, HasSubstr(absl::StrCat("subscription ", kSubscription, ": unchanged")));
  EXPECT_THAT(output_, Not(HasSubstr("updated")));
}

TEST_F(SchedctlPubsubPushTest, AChangedEndpointAndWrapperAreUpdated) {
  ASSERT_TRUE(Apply(PushConfig(), PushOptions()).ok());
  cli::PubsubApplyOptions changed = PushOptions(kOtherEndpoint);
  changed.push_no_wrapper = false;
  changed.push_write_metadata = false;
  auto updated = Apply(PushConfig(), changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(*updated, 1) << output_;
  EXPECT_THAT(output_, HasSubstr(absl::StrCat("push_endpoint ", kEndpoint, " → ", kOtherEndpoint)));
  EXPECT_THAT(output_, HasSubstr("wrapper no wrapper, metadata in headers → wrapped"));
  auto sub = admin_->GetSubscription(kSubscription);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->push_config().push_endpoint(), kOtherEndpoint);
  EXPECT_FALSE(sub->push_config().has_no_wrapper());
  EXPECT_EQ(sub->push_config().oidc_token().service_account_email(), kPusher);
}

TEST_F(SchedctlPubsubPushTest, APullSubscriptionIsReportedNotConvertedToPush) {
  cli::PubsubApplyOptions pull;
  pull.topic = kTopic;
  ASSERT_TRUE(Apply(PullConfig(), pull).ok());
  auto push = Apply(PushConfig(), PushOptions());
  ASSERT_FALSE(push.ok());
  EXPECT_EQ(push.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(push.status().message(),
              HasSubstr(absl::StrCat("subscription ", kSubscription,
                                     " is a pull subscription but the config has ingest: push")));
  auto sub = admin_->GetSubscription(kSubscription);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_TRUE(sub->push_config().push_endpoint().empty());
}

TEST_F(SchedctlPubsubPushTest, APushSubscriptionIsReportedNotConvertedToPull) {
  ASSERT_TRUE(Apply(PushConfig(), PushOptions()).ok());
  cli::PubsubApplyOptions pull;
  pull.topic = kTopic;
  pull.ack_deadline_seconds = kPushAckDeadlineSeconds;
  auto applied = Apply(PullConfig(), pull);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(applied.status().message(),
              HasSubstr(absl::StrCat("subscription ", kSubscription, " is a push subscription (to ", kEndpoint,
                                     ") but the config has ingest: pull")));
  auto sub = admin_->GetSubscription(kSubscription);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->push_config().push_endpoint(), kEndpoint);
}

}  // namespace
}  // namespace schedsvc
