#include "src/cli/pubsub_apply_command.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubscription[] = "projects/p/subscriptions/work-push";
constexpr char kEndpoint[] = "https://schedule.example.com/pubsub/push";
constexpr char kPusher[] = "pusher@p.iam.gserviceaccount.com";
constexpr char kOtherPusher[] = "other@p.iam.gserviceaccount.com";
constexpr char kAudience[] = "https://schedule.example.com";
const absl::Duration kPushAckDeadline = absl::Seconds(120);
constexpr int kPushAckDeadlineSeconds = 120;
constexpr int kDefaultPullAckDeadlineSeconds = 600;

config::ServiceConfig PullConfig() {
  config::ServiceConfig c;
  c.subscription = kSubscription;
  return c;
}

config::ServiceConfig PushConfig() {
  config::ServiceConfig c = PullConfig();
  c.ingest = config::IngestMode::kPush;
  c.push.ack_deadline = kPushAckDeadline;
  c.push.auth = config::PushAuthKind::kOidc;
  c.push.oidc.audience = kAudience;
  c.push.oidc.service_accounts = {kPusher};
  return c;
}

PubsubApplyOptions PushOptions() {
  PubsubApplyOptions o;
  o.topic = "work";
  o.push_endpoint = kEndpoint;
  return o;
}

TEST(PubsubApplyTest, PullConfigMakesAPullSubscriptionWithTheDefaultDeadline) {
  PubsubApplyOptions o;
  o.topic = "work";
  auto setup = ResolvePubsubSetup(PullConfig(), o);
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_TRUE(setup->push_endpoint.empty());
  EXPECT_EQ(setup->ack_deadline_seconds, kDefaultPullAckDeadlineSeconds);
}

TEST(PubsubApplyTest, PushConfigTakesEndpointOidcAndTheDeadlineFromTheConfig) {
  auto setup = ResolvePubsubSetup(PushConfig(), PushOptions());
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_EQ(setup->push_endpoint, kEndpoint);
  EXPECT_EQ(setup->push_service_account, kPusher);
  EXPECT_EQ(setup->push_audience, kAudience);
  EXPECT_EQ(setup->ack_deadline_seconds, kPushAckDeadlineSeconds);
  EXPECT_FALSE(setup->push_no_wrapper);
  EXPECT_FALSE(setup->push_write_metadata);
}

TEST(PubsubApplyTest, PushWithoutEndpointIsRefused) {
  PubsubApplyOptions o = PushOptions();
  o.push_endpoint.clear();
  auto setup = ResolvePubsubSetup(PushConfig(), o);
  ASSERT_FALSE(setup.ok());
  EXPECT_EQ(setup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(setup.status().message(), HasSubstr("--push-endpoint is required"));
}

TEST(PubsubApplyTest, PushFlagsWithAPullConfigAreRefused) {
  auto setup = ResolvePubsubSetup(PullConfig(), PushOptions());
  ASSERT_FALSE(setup.ok());
  EXPECT_THAT(setup.status().message(), HasSubstr("need a config with ingest: push"));
  PubsubApplyOptions o;
  o.topic = "work";
  o.push_no_wrapper = true;
  EXPECT_FALSE(ResolvePubsubSetup(PullConfig(), o).ok());
}

TEST(PubsubApplyTest, EndpointPathMustBePushPath) {
  PubsubApplyOptions o = PushOptions();
  o.push_endpoint = "https://schedule.example.com/other";
  auto setup = ResolvePubsubSetup(PushConfig(), o);
  ASSERT_FALSE(setup.ok());
  EXPECT_THAT(setup.status().message(), HasSubstr("path /other is not push.path /pubsub/push"));
  // A query is allowed; the path is what must match.
  o.push_endpoint = "https://schedule.example.com/pubsub/push?team=ops";
  EXPECT_TRUE(ResolvePubsubSetup(PushConfig(), o).ok());
  // No path at all is "/".
  o.push_endpoint = "https://schedule.example.com";
  EXPECT_FALSE(ResolvePubsubSetup(PushConfig(), o).ok());
}

TEST(PubsubApplyTest, EndpointWithUserInfoIsRefusedWithoutEchoingIt) {
  constexpr char kSecret[] = "hunter2";
  PubsubApplyOptions o = PushOptions();
  o.push_endpoint = absl::StrCat("https://ops:", kSecret, "@schedule.example.com/pubsub/push");
  auto setup = ResolvePubsubSetup(PushConfig(), o);
  ASSERT_FALSE(setup.ok());
  EXPECT_THAT(setup.status().message(), AllOf(HasSubstr("user info"), Not(HasSubstr(kSecret))));
}

TEST(PubsubApplyTest, EndpointMustBeHttpOrHttpsWithAHost) {
  PubsubApplyOptions o = PushOptions();
  for (const char* bad : {"ftp://h/pubsub/push", "schedule.example.com/pubsub/push", "https:///pubsub/push",
                          "https://h/pubsub/push#frag"}) {
    o.push_endpoint = bad;
    EXPECT_FALSE(ResolvePubsubSetup(PushConfig(), o).ok()) << bad;
  }
  o.push_endpoint = "http://127.0.0.1:8080/pubsub/push";  // the emulator pushes over http
  EXPECT_TRUE(ResolvePubsubSetup(PushConfig(), o).ok());
}

TEST(PubsubApplyTest, ADifferentAckDeadlineFlagIsRefusedTheSameOneAccepted) {
  PubsubApplyOptions o = PushOptions();
  o.ack_deadline_seconds = kDefaultPullAckDeadlineSeconds;
  auto setup = ResolvePubsubSetup(PushConfig(), o);
  ASSERT_FALSE(setup.ok());
  EXPECT_THAT(setup.status().message(), HasSubstr("disagrees with push.ack_deadline 120s"));
  o.ack_deadline_seconds = kPushAckDeadlineSeconds;
  EXPECT_TRUE(ResolvePubsubSetup(PushConfig(), o).ok());
}

TEST(PubsubApplyTest, PushAckDeadlineOutsidePubsubsRangeIsRefused) {
  config::ServiceConfig c = PushConfig();
  c.push.ack_deadline = absl::Seconds(601);
  EXPECT_FALSE(ResolvePubsubSetup(c, PushOptions()).ok());
  c.push.ack_deadline = absl::Milliseconds(30500);
  EXPECT_FALSE(ResolvePubsubSetup(c, PushOptions()).ok());
}

TEST(PubsubApplyTest, ServiceAccountMustBeOneTheServiceAccepts) {
  config::ServiceConfig c = PushConfig();
  c.push.oidc.service_accounts = {kPusher, kOtherPusher};
  auto ambiguous = ResolvePubsubSetup(c, PushOptions());
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_THAT(ambiguous.status().message(), HasSubstr("pass --push-service-account"));

  PubsubApplyOptions o = PushOptions();
  o.push_service_account = kOtherPusher;
  auto chosen = ResolvePubsubSetup(c, o);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(chosen->push_service_account, kOtherPusher);

  o.push_service_account = "stranger@p.iam.gserviceaccount.com";
  auto stranger = ResolvePubsubSetup(c, o);
  ASSERT_FALSE(stranger.ok());
  EXPECT_THAT(stranger.status().message(), HasSubstr("not in push.auth.oidc.service_accounts"));
}

TEST(PubsubApplyTest, AuthNoneMakesNoTokenAndRefusesAServiceAccount) {
  config::ServiceConfig c = PushConfig();
  c.push.auth = config::PushAuthKind::kNone;
  auto setup = ResolvePubsubSetup(c, PushOptions());
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_TRUE(setup->push_service_account.empty());
  PubsubApplyOptions o = PushOptions();
  o.push_service_account = kPusher;
  EXPECT_FALSE(ResolvePubsubSetup(c, o).ok());
}

TEST(PubsubApplyTest, WriteMetadataNeedsNoWrapper) {
  PubsubApplyOptions o = PushOptions();
  o.push_write_metadata = true;
  EXPECT_FALSE(ResolvePubsubSetup(PushConfig(), o).ok());
  o.push_no_wrapper = true;
  auto setup = ResolvePubsubSetup(PushConfig(), o);
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_TRUE(setup->push_no_wrapper);
  EXPECT_TRUE(setup->push_write_metadata);
}

TEST(PubsubApplyTest, RedactedEndpointDropsUserInfoAndQuery) {
  EXPECT_EQ(RedactedEndpoint("https://u:p@h.example.com:8443/pubsub/push?token=abc"),
            "https://h.example.com:8443/pubsub/push?…");
  EXPECT_EQ(RedactedEndpoint(kEndpoint), kEndpoint);
  EXPECT_EQ(RedactedEndpoint("no-scheme"), "(not a URL)");
}

}  // namespace
}  // namespace schedsvc::cli
