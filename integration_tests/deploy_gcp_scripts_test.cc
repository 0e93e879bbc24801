// deploy/gcp/setup.sh against local emulators, through gcloud's endpoint overrides: the same script that
// sets up a real project creates the topic, the subscription with its ack deadline, dead-letter and
// retry policies, the dead-letter topic and its inspection subscription on the official Pub/Sub
// emulator, and the Cloud Scheduler jobs of deploy/gcp/jobs.conf on our cloud-scheduler-emulator; a
// second run with new settings updates everything in place. IAM, API enabling and Cloud Monitoring have
// no emulator: SKIP_IAM=1, SKIP_APIS=1 and SKIP_MONITORING=1 skip those steps here.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "integration_tests/deploy_command.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::deploy_testing {
namespace {

namespace fs = std::filesystem;

const std::string kSourceDir = SCHEDSVC_SOURCE_DIR;
const std::string kSetup = kSourceDir + "/deploy/gcp/setup.sh";
constexpr char kProject[] = "deploy-test";
constexpr char kRegion[] = "us-central1";

class GcpScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = ::testing::TempDir() + "/deploy-gcp-" + std::to_string(::getpid());
    fs::create_directories(work_ + "/gcloud");
    std::ofstream(work_ + "/token") << "emulator-token\n";
    env_ = {
        {"CLOUDSDK_CONFIG", work_ + "/gcloud"},
        {"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", work_ + "/token"},
        {"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "1"},
        {"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "1"},
        {"CLOUDSDK_CORE_DISABLE_PROMPTS", "1"},
        {"PROJECT", kProject},
        {"REGION", kRegion},
        {"SKIP_APIS", "1"},
        {"SKIP_IAM", "1"},
        {"SKIP_MONITORING", "1"},
    };
    auto emulator = testing::PubsubEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    pubsub_ = *std::move(emulator);
    env_["CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB"] = "http://" + pubsub_->host_port() + "/";
  }

  void TearDown() override {
    scheduler_.reset();
    pubsub_.reset();
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  // Starts cloud-scheduler-emulator from the build tree; fails the test if it is not built.
  void StartScheduler() {
    const std::string binary = testing::FindBuiltBinary("cloud-scheduler-emulator");
    ASSERT_FALSE(binary.empty()) << "cloud-scheduler-emulator is not built under " << testing::BuildDir();
    const int port = testing::PickFreePort();
    auto process = testing::ChildProcess::Start(
        {binary, "--listen", absl::StrCat("127.0.0.1:", port), "--db", work_ + "/scheduler.db"}, {},
        work_ + "/scheduler.log");
    ASSERT_TRUE(process.ok()) << process.status();
    scheduler_ = std::make_unique<testing::ChildProcess>(*std::move(process));
    ASSERT_TRUE(testing::WaitForPort(port, absl::Seconds(30)))
        << testing::ReadFileOrEmpty(work_ + "/scheduler.log");
    env_["CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER"] = absl::StrCat("http://127.0.0.1:", port, "/");
  }

  CommandResult Setup(const std::map<std::string, std::string>& extra = {}) {
    auto env = env_;
    for (const auto& [k, v] : extra) env[k] = v;
    return RunCommand("bash " + ShellQuote(kSetup), env);
  }

  nlohmann::json Describe(const std::string& args) {
    CommandResult r = RunCommand(
        absl::StrCat("gcloud --project=", kProject, " ", args, " --format=json 2>/dev/null"), env_);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
    auto json = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << args << " printed: " << r.output;
    return json;
  }

  std::string work_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<testing::PubsubEmulator> pubsub_;
  std::unique_ptr<testing::ChildProcess> scheduler_;
};

TEST_F(GcpScriptsTest, PubsubSetupCreatesPoliciesAndUpdatesThemOnRerun) {
  CommandResult first = Setup({{"SKIP_SCHEDULER", "1"}});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, ::testing::HasSubstr("SKIP_IAM=1"));

  const std::string dlt = absl::StrCat("projects/", kProject, "/topics/schedule-jobs-dead-letter");
  nlohmann::json sub = Describe("pubsub subscriptions describe schedule-jobs-service");
  EXPECT_EQ(sub.value("topic", ""), absl::StrCat("projects/", kProject, "/topics/schedule-jobs"));
  EXPECT_EQ(sub.value("ackDeadlineSeconds", 0), 60);
  EXPECT_EQ(sub["deadLetterPolicy"].value("deadLetterTopic", ""), dlt);
  EXPECT_EQ(sub["deadLetterPolicy"].value("maxDeliveryAttempts", 0), 5);
  EXPECT_EQ(sub["retryPolicy"].value("minimumBackoff", ""), "10s");
  EXPECT_EQ(sub["retryPolicy"].value("maximumBackoff", ""), "600s");

  nlohmann::json inspect = Describe("pubsub subscriptions describe schedule-jobs-dead-letter-inspect");
  EXPECT_EQ(inspect.value("topic", ""), dlt);
  EXPECT_EQ(inspect.value("messageRetentionDuration", ""), "604800s");

  CommandResult second = Setup({{"SKIP_SCHEDULER", "1"},
                                {"ACK_DEADLINE", "120"},
                                {"MAX_DELIVERY_ATTEMPTS", "7"},
                                {"MIN_RETRY_DELAY", "20s"}});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, ::testing::HasSubstr("updating subscription schedule-jobs-service"));
  sub = Describe("pubsub subscriptions describe schedule-jobs-service");
  EXPECT_EQ(sub.value("ackDeadlineSeconds", 0), 120);
  EXPECT_EQ(sub["deadLetterPolicy"].value("maxDeliveryAttempts", 0), 7);
  EXPECT_EQ(sub["retryPolicy"].value("minimumBackoff", ""), "20s");
}

TEST_F(GcpScriptsTest, SetupFailsClearlyOnAnInvalidSetting) {
  CommandResult r = Setup({{"SKIP_SCHEDULER", "1"}, {"MAX_DELIVERY_ATTEMPTS", "1"}});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("max-delivery-attempts"));
}

TEST_F(GcpScriptsTest, SchedulerSetupCreatesTheJobsOfJobsConfAndUpdatesThem) {
  ASSERT_NO_FATAL_FAILURE(StartScheduler());
  CommandResult first = Setup();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, ::testing::HasSubstr("2 scheduler job(s) ready"));

  nlohmann::json job =
      Describe(absl::StrCat("scheduler jobs describe nightly-report --location=", kRegion));
  EXPECT_EQ(job.value("name", ""),
            absl::StrCat("projects/", kProject, "/locations/", kRegion, "/jobs/nightly-report"));
  EXPECT_EQ(job.value("schedule", ""), "0 3 * * *");
  EXPECT_EQ(job.value("timeZone", ""), "Europe/Berlin");
  EXPECT_EQ(job.value("state", ""), "ENABLED");
  const nlohmann::json target = job["pubsubTarget"];
  EXPECT_EQ(target.value("topicName", ""), absl::StrCat("projects/", kProject, "/topics/schedule-jobs"));
  EXPECT_EQ(target["attributes"].value("backend", ""), "api");
  EXPECT_EQ(target["attributes"].value("path", ""), "/v1/reports/nightly");
  std::string data;
  ASSERT_TRUE(absl::Base64Unescape(target.value("data", ""), &data));
  EXPECT_EQ(data, R"({"report":"nightly"})");
  EXPECT_EQ(job["retryConfig"].value("retryCount", 0), 3);

  // A second run with a changed jobs file updates the job in place.
  const std::string jobs = work_ + "/jobs.conf";
  std::ofstream(jobs) << "# changed\nnightly-report | 30 4 * * * | Etc/UTC | backend=api,path=/v2/r | {}\n";
  CommandResult second = Setup({{"JOBS_FILE", jobs}});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, ::testing::HasSubstr("updating job nightly-report"));
  job = Describe(absl::StrCat("scheduler jobs describe nightly-report --location=", kRegion));
  EXPECT_EQ(job.value("schedule", ""), "30 4 * * *");
  EXPECT_EQ(job.value("timeZone", ""), "Etc/UTC");
  EXPECT_EQ(job["pubsubTarget"]["attributes"].value("path", ""), "/v2/r");

  // A malformed line is refused with its line number.
  std::ofstream(jobs) << "\nbroken-job | * * * * *\n";
  CommandResult bad = Setup({{"JOBS_FILE", jobs}});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, ::testing::HasSubstr("jobs.conf:2"));
}

}  // namespace
}  // namespace schedsvc::deploy_testing
