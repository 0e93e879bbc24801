// cloud-scheduler-emulator killed while a run waits for its retry: the restarted binary, on the same
// database, resumes the retry (same X-CloudScheduler-ScheduleTime) and sends it once. Real binary, REST
// API, a loopback HTTP target that fails the first attempt.
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"

namespace schedsvc {
namespace {

constexpr char kJobs[] = "/v1/projects/p/locations/us-central1/jobs";
constexpr char kJob[] = "/v1/projects/p/locations/us-central1/jobs/flaky";
// Polls are bounded: kPolls × kPollInterval.
constexpr int kPolls = 200;
constexpr auto kPollInterval = std::chrono::milliseconds(100);

class Emulator {
 public:
  Emulator(const std::string& dir, const std::string& db) {
    port_ = testing::PickFreePort();
    absl::StatusOr<testing::ChildProcess> p = testing::ChildProcess::Start(
        {testing::BuildDir() + "/src/scheduler/cloud-scheduler-emulator", "--listen",
         absl::StrCat("127.0.0.1:", port_), "--db", db},
        {}, dir + "/emulator.log");
    if (!p.ok()) return;
    process_ = std::make_unique<testing::ChildProcess>(*std::move(p));
    ready_ = testing::WaitForPort(port_, absl::Seconds(20));
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  testing::ChildProcess& process() { return *process_; }

 private:
  int port_ = 0;
  bool ready_ = false;
  std::unique_ptr<testing::ChildProcess> process_;
};

TEST(SchedulerRestartTest, PendingRetrySurvivesAKillAndIsSentOnce) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/sched_restart_", getpid());
  ASSERT_EQ(system(absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "'").c_str()), 0);
  const std::string db = dir + "/jobs.db";

  httplib::Server backend;
  absl::Mutex mu;
  std::vector<std::string> schedule_times;
  backend.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    absl::MutexLock lock(&mu);
    schedule_times.push_back(req.get_header_value("X-CloudScheduler-ScheduleTime"));
    res.status = schedule_times.size() == 1 ? 503 : 200;
  });
  const int backend_port = backend.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { backend.listen_after_bind(); });
  auto requests = [&] {
    absl::MutexLock lock(&mu);
    return schedule_times.size();
  };

  auto first = std::make_unique<Emulator>(dir, db);
  ASSERT_TRUE(first->ready()) << testing::ReadFileOrEmpty(dir + "/emulator.log");
  {
    httplib::Client api("127.0.0.1", first->port());
    // Never due by schedule; retried 3 s after a failure, at most twice.
    const std::string job = absl::StrCat(
        R"({"name":"projects/p/locations/us-central1/jobs/flaky","schedule":"0 0 1 1 *",)",
        R"("httpTarget":{"uri":"http://127.0.0.1:)", backend_port, R"(/hook","httpMethod":"POST"},)",
        R"("retryConfig":{"retryCount":2,"minBackoffDuration":"3s","maxBackoffDuration":"3s",)",
        R"("maxDoublings":0}})");
    httplib::Result created = api.Post(kJobs, job, "application/json");
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 200) << created->body;
    httplib::Result run = api.Post(absl::StrCat(kJob, ":run"), "{}", "application/json");
    ASSERT_TRUE(run);
    ASSERT_EQ(run->status, 200) << run->body;
    for (int i = 0; i < kPolls && requests() < 1; ++i) std::this_thread::sleep_for(kPollInterval);
    ASSERT_EQ(requests(), 1u);
    // The failed attempt's status is written in the same transaction as its pending retry.
    bool stored = false;
    for (int i = 0; i < kPolls && !stored; ++i) {
      httplib::Result got = api.Get(kJob);
      stored = got && got->status == 200 && absl::StrContains(got->body, "\"status\"");
      if (!stored) std::this_thread::sleep_for(kPollInterval);
    }
    ASSERT_TRUE(stored) << testing::ReadFileOrEmpty(dir + "/emulator.log");
  }
  // Killed before the retry is due: no graceful shutdown.
  first->process().Stop(SIGKILL, absl::Seconds(5));
  first.reset();
  EXPECT_EQ(requests(), 1u);

  Emulator second(dir, db);
  ASSERT_TRUE(second.ready()) << testing::ReadFileOrEmpty(dir + "/emulator.log");
  for (int i = 0; i < kPolls && requests() < 2; ++i) std::this_thread::sleep_for(kPollInterval);
  // A second (wrong) resend or a further retry would show up within the backoff.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  second.process().Stop(SIGTERM, absl::Seconds(10));
  backend.stop();
  serve.join();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(schedule_times.size(), 2u) << testing::ReadFileOrEmpty(dir + "/emulator.log");
  EXPECT_FALSE(schedule_times[0].empty());
  EXPECT_EQ(schedule_times[1], schedule_times[0]);
  system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace schedsvc
