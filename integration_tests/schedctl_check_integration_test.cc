// `schedctl check` end to end: runs the built schedctl binary on the seed's config (flags, Pub/Sub
// unreachable), on the fixed config, on a broken config, and against the official Pub/Sub emulator
// where the ack deadline and dead-letter policy come from a real subscription.
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/pubsub/admin_client.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc {
namespace {

using ::schedsvc::testing::RunResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kExitOk = 0;
constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;
const absl::Duration kRunTimeout = absl::Seconds(60);

// The seed system (DESIGN §4): acks on receipt, one attempt, and a gateway that makes 3 tries of
// 6 min with 10 s and 20 s between them.
constexpr char kSeedBackends[] = R"(
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

class SchedctlCheckTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) {
    return absl::StrCat(::testing::TempDir(), "/schedctl_check_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", name);
  }

  std::string WriteConfig(const std::string& yaml) {
    const std::string path = Path("config.yaml");
    std::ofstream(path) << yaml;
    return path;
  }

  // Runs schedctl with `args`; PUBSUB_EMULATOR_HOST is `pubsub_host`.
  RunResult Run(const std::vector<std::string>& args, const std::string& pubsub_host) {
    std::vector<std::string> argv = {absl::StrCat(testing::BuildDir(), "/src/cli/schedctl")};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = Path(absl::StrCat("run", runs_++, ".log"));
    auto result = testing::RunToExit(argv, {{"PUBSUB_EMULATOR_HOST", pubsub_host}}, log, kRunTimeout);
    if (!result.ok()) {
      ADD_FAILURE() << result.status();
      return {};
    }
    return *std::move(result);
  }

  // An address where nothing listens, so Pub/Sub is unreachable and the flags are used.
  static std::string DeadPubsub() { return absl::StrCat("127.0.0.1:", testing::PickFreePort()); }

  int runs_ = 0;
};

TEST_F(SchedctlCheckTest, SeedConfigWithFlagsIsFlaggedAtEighteenMinutesThirty) {
  const std::string config = WriteConfig(absl::StrCat(
      "subscription: projects/seed/subscriptions/schedule-service\nack_mode: on-receipt\n",
      kSeedBackends));
  RunResult r = Run({"check", "--config", config, "--ack-deadline", "600",
                     "--max-delivery-attempts", "5"},
                    DeadPubsub());
  EXPECT_EQ(r.exit_code, kExitViolation) << r.output;
  EXPECT_THAT(r.output, HasSubstr("did not give the subscription"));
  EXPECT_THAT(r.output, HasSubstr("ack deadline:          10m (--ack-deadline)"));
  EXPECT_THAT(r.output, HasSubstr("+18m30s   attempt 1 fails: gateway gave up"));
  EXPECT_THAT(r.output, HasSubstr("worst case of one delivery: 18m30s"));
  EXPECT_THAT(r.output, HasSubstr("worst case 18m30s > ack deadline 10m"));
  EXPECT_THAT(r.output, HasSubstr("WARNING: ack_mode on-receipt"));
  EXPECT_THAT(r.output, HasSubstr("verdict: VIOLATION"));
}

TEST_F(SchedctlCheckTest, FixedConfigPasses) {
  const std::string config = WriteConfig(absl::StrCat(
      "subscription: projects/seed/subscriptions/schedule-service\nack_mode: after-success\n"
      "lease:\n  max_extension: 30m\n",
      kSeedBackends));
  RunResult r = Run({"check", "--config", config, "--ack-deadline", "600",
                     "--max-delivery-attempts", "5"},
                    DeadPubsub());
  EXPECT_EQ(r.exit_code, kExitOk) << r.output;
  EXPECT_THAT(r.output, HasSubstr("worst case of one delivery: 18m30s"));
  EXPECT_THAT(r.output, HasSubstr("verdict: OK"));
  EXPECT_THAT(r.output, Not(HasSubstr("WARNING")));
}

TEST_F(SchedctlCheckTest, BadConfigAndBadUsageExitTwo) {
  const std::string config = WriteConfig(absl::StrCat(
      "subscription: projects/seed/subscriptions/schedule-service\nack_mod: on-receipt\n",
      kSeedBackends));
  RunResult bad = Run({"check", "--config", config, "--offline"}, DeadPubsub());
  EXPECT_EQ(bad.exit_code, kExitUsage) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr(absl::StrCat(config, ": ack_mod: unknown key")));

  RunResult usage = Run({"check"}, DeadPubsub());
  EXPECT_EQ(usage.exit_code, kExitUsage) << usage.output;
  EXPECT_THAT(usage.output, HasSubstr("--config is required"));

  RunResult none = Run({}, DeadPubsub());
  EXPECT_EQ(none.exit_code, kExitUsage) << none.output;
}

TEST_F(SchedctlCheckTest, ReadsAckDeadlineAndDeliveryAttemptsFromTheEmulator) {
  auto emulator = testing::PubsubEmulator::Start();
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  pubsub::ConnectionOptions connection;
  connection.endpoint = (*emulator)->host_port();
  connection.plaintext = true;
  auto admin = pubsub::MakeAdminClient(connection);
  const std::string topic = "projects/check-project/topics/jobs";
  const std::string dead_letter = "projects/check-project/topics/jobs-dead-letter";
  const std::string subscription = "projects/check-project/subscriptions/schedule-service";
  ASSERT_TRUE(admin->CreateTopic(topic).ok());
  ASSERT_TRUE(admin->CreateTopic(dead_letter).ok());
  google::pubsub::v1::Subscription sub;
  sub.set_name(subscription);
  sub.set_topic(topic);
  sub.set_ack_deadline_seconds(600);
  sub.mutable_dead_letter_policy()->set_dead_letter_topic(dead_letter);
  sub.mutable_dead_letter_policy()->set_max_delivery_attempts(7);
  auto created = admin->CreateSubscription(sub);
  ASSERT_TRUE(created.ok()) << created.status();

  // 8 minutes of work: within the subscription's 600 s, but not within the 60 s the flag claims. The
  // verdict is OK only if the real subscription's deadline is used.
  const std::string config = WriteConfig(absl::StrCat(
      "subscription: ", subscription,
      "\nack_mode: on-receipt\nbackends:\n  slow:\n    url: http://127.0.0.1:9\n    timeout: 8m\n"
      "    retry:\n      max_attempts: 1\n"));
  RunResult r = Run({"check", "--config", config, "--ack-deadline", "60", "--max-delivery-attempts",
                     "5"},
                    (*emulator)->host_port());
  EXPECT_EQ(r.exit_code, kExitOk) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("ack deadline:          10m (from Pub/Sub at ",
                                               (*emulator)->host_port(), ")")));
  EXPECT_THAT(r.output, HasSubstr("max delivery attempts: 7 (from Pub/Sub"));
  EXPECT_THAT(r.output, HasSubstr("flags ignored"));
  EXPECT_THAT(r.output, HasSubstr("7 deliveries until dead-lettered"));
  EXPECT_THAT(r.output, HasSubstr("verdict: OK"));

  // The same config against a subscription that does not exist falls back to the flags: violation.
  const std::string missing = WriteConfig(absl::StrCat(
      "subscription: projects/check-project/subscriptions/absent\nack_mode: on-receipt\n"
      "backends:\n  slow:\n    url: http://127.0.0.1:9\n    timeout: 8m\n    retry:\n"
      "      max_attempts: 1\n"));
  RunResult fallback = Run({"check", "--config", missing, "--ack-deadline", "60"},
                           (*emulator)->host_port());
  EXPECT_EQ(fallback.exit_code, kExitViolation) << fallback.output;
  EXPECT_THAT(fallback.output, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(fallback.output, HasSubstr("ack deadline:          1m (--ack-deadline)"));
}

}  // namespace
}  // namespace schedsvc
