// cloud-scheduler-emulator against the real gcloud (offline, CLOUDSDK_* endpoint override, temp
// CLOUDSDK_CONFIG), the official Pub/Sub emulator and a loopback HTTP server. Restart keeps jobs + history.
#include <httplib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/scheduler_pubsub_target.h"
#include "src/pubsub/admin_client.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kProject[] = "my-project";
constexpr char kLocation[] = "us-central1";

struct Result {
  int exit_code = -1;
  std::string output;
};

class SchedulerGcloudTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/sched_it_", getpid(), "_", counter_++);
    ASSERT_EQ(system(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "/cfg'").c_str()), 0);
    std::ofstream(dir_ + "/token") << "test-token\n";
    StartEmulator();
  }
  void TearDown() override {
    emulator_.reset();
    system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  void StartEmulator(std::map<std::string, std::string> env = {}) {
    emulator_.reset();
    port_ = testing::PickFreePort();
    absl::StatusOr<testing::ChildProcess> p = testing::ChildProcess::Start(
        {testing::BuildDir() + "/src/scheduler/cloud-scheduler-emulator", "--listen",
         absl::StrCat("127.0.0.1:", port_), "--db", dir_ + "/jobs.db"},
        env, dir_ + "/emulator.log");
    ASSERT_TRUE(p.ok()) << p.status();
    emulator_ = std::make_unique<testing::ChildProcess>(*std::move(p));
    ASSERT_TRUE(testing::WaitForPort(port_, absl::Seconds(20))) << testing::ReadFileOrEmpty(dir_ + "/emulator.log");
  }

  Result Gcloud(const std::string& args) {
    const std::string cmd = absl::StrCat(
        "env CLOUDSDK_CONFIG='", dir_, "/cfg' CLOUDSDK_CORE_PROJECT=", kProject,
        " CLOUDSDK_AUTH_ACCESS_TOKEN_FILE='", dir_, "/token' CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1",
        " CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1 CLOUDSDK_CORE_DISABLE_PROMPTS=1",
        " CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER=http://127.0.0.1:", port_, "/",
        " CLOUDSDK_API_ENDPOINT_OVERRIDES_APPENGINE=http://127.0.0.1:", port_, "/",
        " timeout 120 gcloud scheduler ", args, " 2>&1");
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
    int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::string Loc() { return absl::StrCat(" --location=", kLocation); }

  static inline int counter_ = 0;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<testing::ChildProcess> emulator_;
};

TEST_F(SchedulerGcloudTest, JobLifecycleAndErrors) {
  Result r = Gcloud("jobs list" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Listed 0 items."));

  r = Gcloud("jobs create pubsub j1 --schedule='*/5 * * * *' --topic=t --message-body=hi --attributes=a=b" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("state: ENABLED"));
  EXPECT_THAT(r.output, HasSubstr("topicName: projects/my-project/topics/t"));

  r = Gcloud("jobs create pubsub j1 --schedule='*/5 * * * *' --topic=t --message-body=hi" + Loc());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("ALREADY_EXISTS"));

  r = Gcloud("jobs create http h1 --schedule='not a schedule' --uri=http://127.0.0.1:1/" + Loc());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("INVALID_ARGUMENT: Schedule or time zone is invalid."));

  r = Gcloud("jobs create http h1 --schedule='0 9 * * 1' --time-zone=America/New_York "
             "--uri=http://127.0.0.1:1/x --headers=X-A=1,X-B=2 --attempt-deadline=10m" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("attemptDeadline: 600s"));

  r = Gcloud("jobs list" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("j1"));
  EXPECT_THAT(r.output, HasSubstr("h1"));
  // Paging: gcloud follows nextPageToken.
  r = Gcloud("jobs list --page-size=1" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("h1"));

  // Only masked fields change; unmasked defaults in the body (timeZone Etc/UTC) are ignored.
  r = Gcloud("jobs update http h1 --schedule='*/10 * * * *' --update-headers=X-C=3" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Gcloud("jobs describe h1" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("schedule: '*/10 * * * *'"));
  EXPECT_THAT(r.output, HasSubstr("timeZone: America/New_York"));
  EXPECT_THAT(r.output, HasSubstr("X-C: '3'"));
  EXPECT_THAT(r.output, HasSubstr("attemptDeadline: 600s"));

  r = Gcloud("jobs pause j1" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(Gcloud("jobs describe j1" + Loc()).output, HasSubstr("state: PAUSED"));
  r = Gcloud("jobs pause j1" + Loc());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAILED_PRECONDITION"));
  ASSERT_EQ(Gcloud("jobs resume j1" + Loc()).exit_code, 0);
  EXPECT_THAT(Gcloud("jobs describe j1" + Loc()).output, HasSubstr("state: ENABLED"));

  ASSERT_EQ(Gcloud("jobs delete j1 --quiet" + Loc()).exit_code, 0);
  r = Gcloud("jobs describe j1" + Loc());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("NOT_FOUND: Job not found."));
  r = Gcloud("jobs run j1" + Loc());
  EXPECT_EQ(r.exit_code, 1);

  // Without --location gcloud asks App Engine, then the locations list.
  r = Gcloud("jobs list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("h1"));

  // Restart on the same database keeps the job.
  StartEmulator();
  r = Gcloud("jobs describe h1" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("X-C: '3'"));
}

TEST_F(SchedulerGcloudTest, RunPublishesDataAndAttributesToThePubsubEmulator) {
  absl::StatusOr<scheduler_it::PubsubTarget> pubsub = scheduler_it::StartPubsubTarget(kProject);
  ASSERT_TRUE(pubsub.ok()) << pubsub.status();
  StartEmulator({{"PUBSUB_EMULATOR_HOST", pubsub->emulator->host_port()}});

  Result r = Gcloud(absl::StrCat("jobs create pubsub p1 --schedule='0 0 1 1 *' --topic=", scheduler_it::kTopicId,
                                 " --message-body=payload --attributes=backend=demo,path=/run", Loc()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Gcloud("jobs run p1" + Loc());
  ASSERT_EQ(r.exit_code, 0) << r.output;

  std::vector<google::pubsub::v1::ReceivedMessage> got;
  for (int i = 0; i < 60 && got.empty(); ++i) {
    absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> pulled = pubsub->admin->Pull(pubsub->subscription, 10);
    ASSERT_TRUE(pulled.ok()) << pulled.status();
    got = *pulled;
    if (got.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(got.size(), 1u) << testing::ReadFileOrEmpty(dir_ + "/emulator.log");
  EXPECT_EQ(got[0].message().data(), "payload");
  EXPECT_EQ(got[0].message().attributes().at("backend"), "demo");
  EXPECT_EQ(got[0].message().attributes().at("path"), "/run");
  EXPECT_EQ(got[0].message().attributes().size(), 2u);
  // The attempt's status and history are recorded and survive a restart.
  std::string describe;
  for (int i = 0; i < 40; ++i) {
    describe = Gcloud("jobs describe p1" + Loc()).output;
    if (absl::StrContains(describe, "lastAttemptTime")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_THAT(describe, HasSubstr("lastAttemptTime"));
  StartEmulator({{"PUBSUB_EMULATOR_HOST", pubsub->emulator->host_port()}});
  describe = Gcloud("jobs describe p1" + Loc()).output;
  EXPECT_THAT(describe, HasSubstr("lastAttemptTime"));
  // No duplicate published by the restart (the job's schedule is not due).
  absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> again = pubsub->admin->Pull(pubsub->subscription, 10);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty() || again->at(0).message().message_id() == got[0].message().message_id());
}

TEST_F(SchedulerGcloudTest, HttpJobSendsSchedulerHeadersAndRetriesPerRetryConfig) {
  httplib::Server backend;
  absl::Mutex mu;
  std::vector<httplib::Request> requests;
  backend.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    absl::MutexLock lock(&mu);
    requests.push_back(req);
    res.status = requests.size() < 3 ? 503 : 200;
  });
  const int backend_port = backend.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { backend.listen_after_bind(); });

  Result r = Gcloud(absl::StrCat(
      "jobs create http h2 --schedule='0 0 1 1 *' --uri=http://127.0.0.1:", backend_port,
      "/hook --http-method=POST --message-body='{\"x\":1}' --headers=Content-Type=application/json "
      "--max-retry-attempts=3 --min-backoff=1s --max-backoff=2s --max-doublings=1", Loc()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(Gcloud("jobs run h2" + Loc()).exit_code, 0);
  // Attempt at t, retry after 1 s, retry after 2 s more: bounded wait.
  for (int i = 0; i < 100; ++i) {
    {
      absl::MutexLock lock(&mu);
      if (requests.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Give a fourth (wrong) attempt the chance to show up.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  backend.stop();
  serve.join();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(requests.size(), 3u) << testing::ReadFileOrEmpty(dir_ + "/emulator.log");
  for (const httplib::Request& req : requests) {
    EXPECT_EQ(req.get_header_value("User-Agent"), "Google-Cloud-Scheduler");
    EXPECT_EQ(req.get_header_value("X-CloudScheduler"), "true");
    EXPECT_EQ(req.get_header_value("X-CloudScheduler-JobName"), "h2");
    EXPECT_EQ(req.get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(req.body, "{\"x\":1}");
    EXPECT_EQ(req.get_header_value("X-CloudScheduler-ScheduleTime"),
              requests[0].get_header_value("X-CloudScheduler-ScheduleTime"));
  }
  EXPECT_THAT(requests[0].get_header_value("X-CloudScheduler-ScheduleTime"), HasSubstr("Z"));
}

}  // namespace
}  // namespace schedsvc

namespace schedsvc {
namespace {

TEST(SchedulerSecurityTest, OffLoopbackNeedsTokenFileAndChecksBearer) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/sched_sec_", getpid());
  ASSERT_EQ(system(absl::StrCat("mkdir -p '", dir, "'").c_str()), 0);
  const std::string binary = testing::BuildDir() + "/src/scheduler/cloud-scheduler-emulator";
  const int port = testing::PickFreePort();
  const std::string listen = absl::StrCat("0.0.0.0:", port);
  absl::StatusOr<testing::ChildProcess> refused = testing::ChildProcess::Start(
      {binary, "--listen", listen, "--db", dir + "/a.db"}, {}, dir + "/refused.log");
  ASSERT_TRUE(refused.ok());
  const int status = refused->Wait(absl::Seconds(20));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_THAT(testing::ReadFileOrEmpty(dir + "/refused.log"), HasSubstr("--auth-token-file"));

  std::ofstream(dir + "/token") << "s3cret-token\n";
  absl::StatusOr<testing::ChildProcess> server = testing::ChildProcess::Start(
      {binary, "--listen", listen, "--db", dir + "/b.db", "--auth-token-file", dir + "/token"}, {},
      dir + "/server.log");
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(testing::WaitForPort(port, absl::Seconds(20)));
  httplib::Client client("127.0.0.1", port);
  auto denied = client.Get("/v1/projects/p/locations/us-central1/jobs");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_THAT(denied->body, HasSubstr("UNAUTHENTICATED"));
  httplib::Headers headers = {{"Authorization", "Bearer s3cret-token"}};
  auto ok = client.Get("/v1/projects/p/locations/us-central1/jobs", headers);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "{}");
  auto metrics = client.Get("/metrics", headers);
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("scheduler_jobs{state=\"ENABLED\"}"));
  EXPECT_THAT(metrics->body, HasSubstr("scheduler_fire_lateness_seconds"));
  EXPECT_THAT(testing::ReadFileOrEmpty(dir + "/server.log"), Not(HasSubstr("s3cret-token")));
  EXPECT_EQ(server->Stop(), 0);
  system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace schedsvc
