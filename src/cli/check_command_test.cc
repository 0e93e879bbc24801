#include "src/cli/check_command.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The seed system: on-receipt, one attempt, a gateway making 3 tries of 6 min with 10 s and 20 s
// between them.
constexpr char kSeedConfig[] = R"(
subscription: projects/p/subscriptions/schedule-service
ack_mode: on-receipt
backends:
  orders:
    url: https://orders.example.com
    timeout: 20m
    retry:
      max_attempts: 1
    gateway:
      timeout: 6m
      retries: 2
      retry_delays: [10s, 20s]
)";

class CheckCommandTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const std::string& yaml) {
    const std::string path =
        absl::StrCat(::testing::TempDir(), "/check_command_test_", ::getpid(), "_",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".yaml");
    std::ofstream(path) << yaml;
    return path;
  }

  int Run(const CheckOptions& options) {
    out_.str("");
    err_.str("");
    return RunCheck(options, out_, err_);
  }

  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CheckCommandTest, SeedConfigIsAViolationWithTheFlags) {
  CheckOptions options;
  options.config_path = WriteConfig(kSeedConfig);
  options.ack_deadline = "600";
  options.max_delivery_attempts = 5;
  options.offline = true;
  EXPECT_EQ(Run(options), kExitFailure);
  EXPECT_THAT(out_.str(), HasSubstr("ack deadline:          10m (--ack-deadline)"));
  EXPECT_THAT(out_.str(), HasSubstr("max delivery attempts: 5 (--max-delivery-attempts)"));
  EXPECT_THAT(out_.str(), HasSubstr("worst case of one delivery: 18m30s"));
  EXPECT_THAT(out_.str(), HasSubstr("WARNING: ack_mode on-receipt"));
  EXPECT_THAT(out_.str(), HasSubstr("verdict: VIOLATION"));
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(CheckCommandTest, AfterSuccessWithLeaseExtensionPasses) {
  std::string yaml = kSeedConfig;
  yaml.replace(yaml.find("on-receipt"), std::string("on-receipt").size(), "after-success");
  CheckOptions options;
  options.config_path = WriteConfig(yaml + "lease:\n  max_extension: 20m\n");
  options.ack_deadline = "10m";
  options.offline = true;
  EXPECT_EQ(Run(options), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("worst case of one delivery: 18m30s"));
  EXPECT_THAT(out_.str(), HasSubstr("verdict: OK"));
  EXPECT_THAT(out_.str(), HasSubstr("Pub/Sub's default; no --max-delivery-attempts"));
}

// The service's defaults: no attempt cap, consecutive-failure rule, hold for the budget.
constexpr char kDefaultsConfig[] = R"(
subscription: projects/p/subscriptions/schedule-service
backends:
  api:
    url: https://api.example.com
)";

TEST_F(CheckCommandTest, PrintsTheOutageEachBackendSurvivesAndWarnsBelowTheExpectation) {
  CheckOptions options;
  options.config_path = WriteConfig(kDefaultsConfig);
  options.max_delivery_attempts = 5;
  options.offline = true;
  EXPECT_EQ(Run(options), kExitOk);
  // 5 deliveries of 59m55s and redelivery delays of 1, 2, 4 and 8 min.
  EXPECT_THAT(out_.str(),
              HasSubstr("backend outage survived without a dead letter: at least 5h9m30s (expected at least 1h)"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("warning:")));

  options.expect_outage = "6h";
  EXPECT_EQ(Run(options), kExitOk);  // a warning, not a violation
  EXPECT_THAT(out_.str(), HasSubstr("5h9m30s (LESS than the expected 6h)"));
  EXPECT_THAT(out_.str(), HasSubstr("warning: a backend outage longer than 5h9m30s dead-letters messages"));
}

TEST_F(CheckCommandTest, ExpectOutageMustBeAPositiveDuration) {
  CheckOptions options;
  options.config_path = WriteConfig(kDefaultsConfig);
  options.offline = true;
  options.expect_outage = "soon";
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--expect-outage"));
  options.expect_outage = "0s";
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--expect-outage: must be positive"));
}

TEST_F(CheckCommandTest, BadConfigIsAUsageErrorNamingFileAndKey) {
  CheckOptions options;
  options.config_path = WriteConfig(absl::StrCat(kSeedConfig, "    max_concurency: 3\n"));
  options.offline = true;
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr(absl::StrCat(options.config_path,
                                                 ": backends.orders.max_concurency: unknown key")));
  EXPECT_THAT(out_.str(), IsEmpty());

  options.config_path = "/nonexistent/config.yaml";
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("/nonexistent/config.yaml: cannot read"));
}

TEST_F(CheckCommandTest, OutOfRangeFlagsAreUsageErrors) {
  CheckOptions options;
  options.config_path = WriteConfig(kSeedConfig);
  options.offline = true;
  options.ack_deadline = "601";
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--ack-deadline: must be between 10 and 600 seconds, got 601"));
  options.ack_deadline = "soon";
  EXPECT_EQ(Run(options), kExitUsage);
  options.ack_deadline.reset();
  options.max_delivery_attempts = 3;
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--max-delivery-attempts: must be 0"));
}

TEST(LimitsFromSubscriptionTest, ReadsDeadlinePolicyAndRetention) {
  google::pubsub::v1::Subscription s;
  s.set_ack_deadline_seconds(600);
  s.mutable_dead_letter_policy()->set_max_delivery_attempts(7);
  s.mutable_message_retention_duration()->set_seconds(3600);
  budget::SubscriptionLimits limits = LimitsFromSubscription(s);
  EXPECT_EQ(limits.ack_deadline, absl::Seconds(600));
  EXPECT_EQ(limits.max_delivery_attempts, 7);
  EXPECT_EQ(limits.message_retention, absl::Hours(1));
}

TEST(LimitsFromSubscriptionTest, UnsetFieldsGetPubsubDefaults) {
  google::pubsub::v1::Subscription s;
  budget::SubscriptionLimits limits = LimitsFromSubscription(s);
  EXPECT_EQ(limits.ack_deadline, absl::Seconds(budget::kDefaultAckDeadlineSeconds));
  EXPECT_EQ(limits.max_delivery_attempts, 0);  // no dead-letter policy: unbounded
  EXPECT_EQ(limits.message_retention, absl::Hours(24 * budget::kDefaultRetentionDays));
  s.mutable_dead_letter_policy()->set_dead_letter_topic("projects/p/topics/dlq");
  EXPECT_EQ(LimitsFromSubscription(s).max_delivery_attempts, budget::kDefaultMaxDeliveryAttempts);
}

TEST(LimitsFromSubscriptionTest, ReadsTheRetryPolicyElseItsDefaults) {
  google::pubsub::v1::Subscription s;
  EXPECT_EQ(LimitsFromSubscription(s).retry_minimum_backoff, budget::kDefaultRetryMinimumBackoff);
  EXPECT_EQ(LimitsFromSubscription(s).retry_maximum_backoff, budget::kDefaultRetryMaximumBackoff);
  s.mutable_retry_policy()->mutable_minimum_backoff()->set_seconds(30);
  s.mutable_retry_policy()->mutable_maximum_backoff()->set_seconds(300);
  EXPECT_EQ(LimitsFromSubscription(s).retry_minimum_backoff, absl::Seconds(30));
  EXPECT_EQ(LimitsFromSubscription(s).retry_maximum_backoff, absl::Seconds(300));
}

TEST(RegisterCheckCommandTest, ParsesFlagsIntoTheAction) {
  CLI::App app;
  CommandAction action;
  RegisterCheckCommand(app, action);
  EXPECT_THROW(app.parse(std::vector<std::string>{"check"}), CLI::RequiredError);
  CLI::App app2;
  CommandAction action2;
  RegisterCheckCommand(app2, action2);
  // CLI11 takes the arguments reversed.
  app2.parse(std::vector<std::string>{"--offline", "20", "--ack-deadline", "x.yaml", "--config", "check"});
  EXPECT_TRUE(static_cast<bool>(action2));
}

// Push: tested with a ServiceConfig struct (RunCheckOnConfig), as a YAML file needs the loader's push keys.
config::ServiceConfig PushConfig() {
  config::ServiceConfig c;
  c.subscription = "projects/p/subscriptions/push";
  c.ingest = config::IngestMode::kPush;
  c.push.ack_deadline = absl::Seconds(120);
  config::BackendConfig b;
  b.name = "orders";
  b.url = "https://orders.example.com";
  c.backends.push_back(b);
  return c;
}

TEST_F(CheckCommandTest, PushOfflineTakesTheAckDeadlineFromPushAckDeadlineAndWarnsAboutOutages) {
  CheckOptions options;
  options.config_path = "push.yaml";
  options.offline = true;
  EXPECT_EQ(RunCheckOnConfig(options, PushConfig(), out_, err_), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("ack deadline:          2m (push.ack_deadline in the config; no --ack-deadline)"));
  EXPECT_THAT(out_.str(), HasSubstr("retry policy:          10s..10m (Pub/Sub's default)"));
  EXPECT_THAT(out_.str(), HasSubstr("ingest push, push.ack_deadline 2m (answer due at 1m55s)"));
  EXPECT_THAT(out_.str(), HasSubstr("push cannot hold a message during an outage"));
  EXPECT_THAT(out_.str(), HasSubstr("warning: a backend outage longer than 2m30s can dead-letter messages"));
}

TEST_F(CheckCommandTest, PushWithAShorterAckDeadlineFlagIsAViolation) {
  CheckOptions options;
  options.config_path = "push.yaml";
  options.offline = true;
  options.ack_deadline = "60";
  EXPECT_EQ(RunCheckOnConfig(options, PushConfig(), out_, err_), kExitFailure);
  EXPECT_THAT(out_.str(), HasSubstr("the subscription's ack deadline 1m < push.ack_deadline 2m"));
}

}  // namespace
}  // namespace schedsvc::cli
