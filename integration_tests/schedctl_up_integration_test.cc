// `schedctl up` end to end: the whole local pipeline (official Pub/Sub emulator, cloud-scheduler-emulator,
// demo-backend, schedule-service) started on free ports, the sample job's run observed at the backend,
// then Ctrl-C (SIGINT): schedctl exits 0 and no process of any child's process group is left (the
// emulator's launcher starts a java child in its group); started again at once on the same ports (TIME_WAIT
// sockets are no "taken" port), then killed with SIGKILL: its children die with it. A taken port is refused
// with a clear message; --duration must be positive. With --ingest push the sample run reaches the backend
// through the service's push endpoint. While it runs, the console (--console-port) serves the page and
// answers its API: config, health, the sample job through the scheduler proxy, and a run whose path the
// backend refuses shows as a dead letter with its reason and is replayed with a corrected path: the
// dead letter goes and its copy is delivered on the corrected path (the service's recent deliveries).
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/child_process.h"

namespace schedsvc {
namespace {

// Up to this long for the pipeline to start and the sample run to reach the backend.
constexpr absl::Duration kDeliveredTimeout = absl::Seconds(180);
// Up to this long for schedctl to stop every child after SIGINT (each child gets 10 s before SIGKILL).
constexpr absl::Duration kStopTimeout = absl::Seconds(60);
// The children of `up`: Pub/Sub emulator, demo-backend, schedule-service, cloud-scheduler-emulator.
constexpr std::size_t kChildren = 4;
// Up to this long for the children of a killed schedctl to be gone.
constexpr absl::Duration kGoneTimeout = absl::Seconds(10);

// The components /api/health reports: the four children.
constexpr std::size_t kHealthComponents = 4;
// Each console request is answered within this.
constexpr int kHttpTimeoutSeconds = 30;
constexpr int kOk = 200;

// Up to this long for a dead letter to show (or go) on the console.
constexpr absl::Duration kDeadLetterTimeout = absl::Seconds(60);
constexpr char kJobsPath[] = "/api/scheduler/v1/projects/local-project/locations/us-central1/jobs";
// The path the backend refuses, and the one a replay sets instead (no other message uses it).
constexpr char kBadPath[] = "/bad";
constexpr char kCorrectedPath[] = "/ok";
constexpr int kBadPathStatus = 400;

// POSTs JSON `body` to the console on `port`; returns the answer's body, failing the test unless it is 200.
std::string ConsolePost(int port, const std::string& path, const std::string& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(kHttpTimeoutSeconds);
  auto r = client.Post(path.c_str(), body, "application/json");
  if (!r) {
    ADD_FAILURE() << "POST " << path << ": " << httplib::to_string(r.error());
    return "";
  }
  EXPECT_EQ(r->status, kOk) << "POST " << path << ": " << r->body;
  return r->body;
}

// GETs `path` from the console on `port`; fails the test (empty body) when there is no 200 answer.
std::string ConsoleGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(kHttpTimeoutSeconds);
  auto r = client.Get(path.c_str());
  if (!r) {
    ADD_FAILURE() << "GET " << path << ": " << httplib::to_string(r.error());
    return "";
  }
  EXPECT_EQ(r->status, kOk) << "GET " << path << ": " << r->body;
  return r->status == kOk ? r->body : "";
}

// Waits up to kDeadLetterTimeout for the service's recent deliveries (through the console) to hold a delivery
// to `path` that the backend answered 200; returns it, or null (the last answer in `last`).
nlohmann::json WaitForDeliveryTo(int port, const std::string& path, nlohmann::json& last) {
  for (const absl::Time deadline = absl::Now() + kDeadLetterTimeout; absl::Now() < deadline;) {
    last = nlohmann::json::parse(ConsoleGet(port, "/api/service/deliveries?outcome=delivered"), nullptr, false);
    if (last.is_object() && last.contains("deliveries") && last["deliveries"].is_array()) {
      for (const auto& d : last["deliveries"]) {
        if (d.contains("attributes") && d["attributes"].value("path", "") == path && d.value("httpStatus", 0) == kOk) {
          return d;
        }
      }
    }
    absl::SleepFor(absl::Seconds(1));
  }
  return nullptr;
}

// Returns the largest N of `pattern`'s first group ("... ([0-9]+) ...") in `text`, or -1.
int LargestMatch(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  int best = -1;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    best = std::max(best, std::stoi((*it)[1].str()));
  }
  return best;
}

// Waits up to kDeliveredTimeout for a status line of `up` showing the sample run answered 2xx at the
// backend; returns `up`'s output so far.
std::string WaitForTheSampleRun(testing::ChildProcess& up, const std::string& log) {
  const absl::Time deadline = absl::Now() + kDeliveredTimeout;
  std::string output;
  while (absl::Now() < deadline && up.running()) {
    output = testing::ReadFileOrEmpty(log);
    if (LargestMatch(output, "messages ok ([0-9]+)") >= 1) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  return output;
}

TEST(SchedctlUpTest, RunsThePipelineDeliversTheSampleRunAndCtrlCLeavesNoProcessBehind) {
  const std::string workdir = absl::StrCat("/tmp/schedctl-up-test-", ::getpid());
  const std::string log = workdir + ".log";
  std::remove(log.c_str());
  const int console_port = testing::PickFreePort();
  const std::vector<std::string> ports = {absl::StrCat("--console-port=", console_port),
                                           absl::StrCat("--pubsub-port=", testing::PickFreePort()),
                                           absl::StrCat("--scheduler-port=", testing::PickFreePort()),
                                           absl::StrCat("--backend-port=", testing::PickFreePort()),
                                           absl::StrCat("--admin-port=", testing::PickFreePort())};
  std::vector<std::string> argv = {testing::BuildDir() + "/src/cli/schedctl", "up", "--workdir", workdir,
                                   "--status-interval=2"};
  argv.insert(argv.end(), ports.begin(), ports.end());
  auto up = testing::ChildProcess::Start(argv, {}, log);
  ASSERT_TRUE(up.ok()) << up.status();

  std::string output = WaitForTheSampleRun(*up, log);
  ASSERT_TRUE(up->running()) << "schedctl up exited before Ctrl-C\n" << testing::ReadFileOrEmpty(log);
  EXPECT_GE(LargestMatch(output, "messages ok ([0-9]+)"), 1) << output;

  // The console, in schedctl's process: the page, its config, health, dead letters and the sample job.
  EXPECT_THAT(output, ::testing::HasSubstr(absl::StrCat("console: http://127.0.0.1:", console_port, "/\n")));
  EXPECT_THAT(ConsoleGet(console_port, "/"), ::testing::HasSubstr("<script src=\"/app.js\"></script>"));
  const auto config = nlohmann::json::parse(ConsoleGet(console_port, "/api/config"), nullptr, false);
  EXPECT_EQ(config.value("project", ""), "local-project") << config;
  EXPECT_EQ(config.value("topic", ""), "projects/local-project/topics/scheduled-jobs") << config;
  EXPECT_EQ(config.value("deadLetterSubscription", ""),
            "projects/local-project/subscriptions/schedule-service-dead-letter-inspect")
      << config;
  const auto health = nlohmann::json::parse(ConsoleGet(console_port, "/api/health"), nullptr, false);
  ASSERT_TRUE(health.contains("components")) << health;
  ASSERT_EQ(health["components"].size(), kHealthComponents) << health;
  for (const auto& component : health["components"]) EXPECT_EQ(component.value("up", false), true) << component;
  EXPECT_EQ(health["components"][3].value("name", ""), "schedule-service");
  const auto jobs = nlohmann::json::parse(
      ConsoleGet(console_port, "/api/scheduler/v1/projects/local-project/locations/us-central1/jobs"), nullptr,
      false);
  ASSERT_TRUE(jobs.contains("jobs")) << jobs;
  ASSERT_EQ(jobs["jobs"].size(), 1u) << jobs;
  EXPECT_EQ(jobs["jobs"][0].value("name", ""),
            "projects/local-project/locations/us-central1/jobs/sample-every-minute");
  // A run whose path the backend refuses (400) is dead-lettered by the service, listed by the console with
  // its reason, and replayed with a corrected path through the console: the list empties and the replayed
  // copy reaches the backend on the corrected path.
  ConsolePost(console_port, "/api/demo-backend/config",
              nlohmann::json({{"status_for_path", {{kBadPath, kBadPathStatus}}}}).dump());
  const nlohmann::json bad_job = {
      {"name", "projects/local-project/locations/us-central1/jobs/bad-path"},
      {"schedule", "0 0 1 1 *"},
      {"timeZone", "Etc/UTC"},
      {"pubsubTarget",
       {{"topicName", "projects/local-project/topics/scheduled-jobs"},
        {"data", "e30="},
        {"attributes", {{"backend", "demo"}, {"path", kBadPath}}}}}};
  ConsolePost(console_port, kJobsPath, bad_job.dump());
  ConsolePost(console_port, absl::StrCat(kJobsPath, "/bad-path:run"), "{}");
  nlohmann::json dead_letters;
  for (const absl::Time deadline = absl::Now() + kDeadLetterTimeout; absl::Now() < deadline;) {
    dead_letters = nlohmann::json::parse(ConsoleGet(console_port, "/api/deadletters"), nullptr, false);
    if (dead_letters.is_object() && !dead_letters.value("messages", nlohmann::json::array()).empty()) break;
    absl::SleepFor(absl::Seconds(1));
  }
  ASSERT_TRUE(dead_letters.is_object()) << dead_letters;
  ASSERT_EQ(dead_letters["messages"].size(), 1u) << dead_letters;
  const nlohmann::json& dead = dead_letters["messages"][0];
  EXPECT_EQ(dead.value("reason", ""), "HTTP 400 from backend") << dead;
  EXPECT_EQ(dead["attributes"].value("path", ""), kBadPath) << dead;
  const nlohmann::json replay = {{"ids", {dead.value("id", "")}}, {"setAttributes", {{"path", kCorrectedPath}}}};
  EXPECT_EQ(nlohmann::json::parse(ConsolePost(console_port, "/api/deadletters/replay", replay.dump()), nullptr, false),
            nlohmann::json({{"replayed", 1}, {"skipped", 0}, {"failed", 0}}));
  for (const absl::Time deadline = absl::Now() + kDeadLetterTimeout; absl::Now() < deadline;) {
    dead_letters = nlohmann::json::parse(ConsoleGet(console_port, "/api/deadletters"), nullptr, false);
    if (dead_letters.is_object() && dead_letters.value("messages", nlohmann::json::array()).empty()) break;
    absl::SleepFor(absl::Seconds(1));
  }
  EXPECT_TRUE(dead_letters.is_object() && dead_letters["messages"].empty()) << dead_letters;
  // The ack alone proves nothing about the copy: it must be delivered, with the corrected path.
  nlohmann::json deliveries;
  const nlohmann::json replayed = WaitForDeliveryTo(console_port, kCorrectedPath, deliveries);
  EXPECT_FALSE(replayed.is_null()) << "no delivery to " << kCorrectedPath << " within "
                                   << absl::FormatDuration(kDeadLetterTimeout) << ": " << deliveries;
  if (!replayed.is_null()) {
    EXPECT_EQ(replayed.value("backend", ""), "demo") << replayed;
  }

  // Ctrl-C.
  const int status = up->Stop(SIGINT, kStopTimeout);
  output = testing::ReadFileOrEmpty(log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "after SIGINT: wait status " << status << " (killed if it did not stop within "
      << absl::FormatDuration(kStopTimeout) << ")\n" << output;
  EXPECT_THAT(output, ::testing::HasSubstr("\nstopping\n"));
  // The service's status figure: the sample run counted as a delivery (a 2xx), not just an ack.
  EXPECT_GE(LargestMatch(output, "delivered ([0-9]+), HTTP retries in pod [0-9]+, nacked for Pub/Sub redelivery"), 1)
      << output;

  // Every child ran in its own process group (pgid = its pid); no member of any group is left.
  const std::regex pid_re("started ([A-Za-z0-9_.-]+) pid ([0-9]+)");
  std::vector<int> pgids;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), pid_re); it != std::sregex_iterator(); ++it) {
    pgids.push_back(std::stoi((*it)[2].str()));
  }
  EXPECT_EQ(pgids.size(), kChildren) << output;
  for (int pgid : pgids) {
    ASSERT_GT(pgid, 1);
    errno = 0;
    const int alive = ::kill(-pgid, 0);
    const int error = errno;
    EXPECT_EQ(alive, -1) << "process group " << pgid << " still has a process\n" << output;
    EXPECT_EQ(error, ESRCH) << "process group " << pgid;
    // Do not leave a failed run's servers behind: they belong to this test's schedctl.
    if (alive == 0) ::kill(-pgid, SIGKILL);
  }

  // Restarted at once on the same ports: the stopped servers' TIME_WAIT sockets do not make a port "taken".
  const std::string again_log = workdir + "-again.log";
  std::remove(again_log.c_str());
  argv[3] = workdir + "-again";
  auto again = testing::ChildProcess::Start(argv, {}, again_log);
  ASSERT_TRUE(again.ok()) << again.status();
  const absl::Time started_deadline = absl::Now() + kDeliveredTimeout;
  std::vector<int> again_pgids;
  while (absl::Now() < started_deadline) {
    const bool running = again->running();
    output = testing::ReadFileOrEmpty(again_log);
    again_pgids.clear();
    for (auto it = std::sregex_iterator(output.begin(), output.end(), pid_re); it != std::sregex_iterator(); ++it) {
      again_pgids.push_back(std::stoi((*it)[2].str()));
    }
    if (again_pgids.size() == kChildren || !running) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr("already taken"))) << output;
  ASSERT_EQ(again_pgids.size(), kChildren) << output;

  // Killed outright (no cleanup runs): its children die with it.
  again->Stop(SIGKILL, absl::Seconds(5));
  for (int pgid : again_pgids) {
    const absl::Time gone_deadline = absl::Now() + kGoneTimeout;
    while (::kill(-pgid, 0) == 0 && absl::Now() < gone_deadline) absl::SleepFor(absl::Milliseconds(100));
    errno = 0;
    const int alive = ::kill(-pgid, 0);
    EXPECT_EQ(alive, -1) << "process group " << pgid << " outlived schedctl up killed with SIGKILL\n" << output;
    if (alive == 0) ::kill(-pgid, SIGKILL);
  }
}

// --ingest push: the service is a push endpoint, the emulator pushes the sample run to it, and the run
// reaches the backend the same way.
TEST(SchedctlUpTest, PushIngestDeliversTheSampleRunThroughThePushEndpoint) {
  const std::string workdir = absl::StrCat("/tmp/schedctl-up-push-test-", ::getpid());
  const std::string log = workdir + ".log";
  std::remove(log.c_str());
  const int push_port = testing::PickFreePort();
  std::vector<std::string> argv = {testing::BuildDir() + "/src/cli/schedctl", "up", "--workdir", workdir,
                                   "--status-interval=2", "--ingest=push",
                                   absl::StrCat("--push-port=", push_port),
                                   absl::StrCat("--console-port=", testing::PickFreePort()),
                                   absl::StrCat("--pubsub-port=", testing::PickFreePort()),
                                   absl::StrCat("--scheduler-port=", testing::PickFreePort()),
                                   absl::StrCat("--backend-port=", testing::PickFreePort()),
                                   absl::StrCat("--admin-port=", testing::PickFreePort())};
  auto up = testing::ChildProcess::Start(argv, {}, log);
  ASSERT_TRUE(up.ok()) << up.status();
  std::string output = WaitForTheSampleRun(*up, log);
  ASSERT_TRUE(up->running()) << "schedctl up exited before Ctrl-C\n" << testing::ReadFileOrEmpty(log);
  EXPECT_GE(LargestMatch(output, "messages ok ([0-9]+)"), 1) << output;
  EXPECT_THAT(output, ::testing::HasSubstr(absl::StrCat("pushed by the emulator to http://127.0.0.1:", push_port,
                                                        "/pubsub/push")));
  EXPECT_THAT(testing::ReadFileOrEmpty(workdir + "/config.yaml"), ::testing::HasSubstr("ingest: push"));
  // The push subscription's deliveries went through the service's push endpoint.
  EXPECT_THAT(testing::ReadFileOrEmpty(workdir + "/schedule-service.log"),
              ::testing::HasSubstr(R"("ingest":"push")"));
  const int status = up->Stop(SIGINT, kStopTimeout);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::ReadFileOrEmpty(log);
}

TEST(SchedctlUpTest, DurationMustBePositive) {
  for (const char* duration : {"--duration=0", "--duration=-5"}) {
    const std::string log = absl::StrCat("/tmp/schedctl-up-duration-test-", ::getpid(), ".log");
    std::remove(log.c_str());
    auto r = testing::RunToExit({testing::BuildDir() + "/src/cli/schedctl", "up", duration,
                                 absl::StrCat("--pubsub-port=", testing::PickFreePort())},
                                {}, log, absl::Seconds(30));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 2) << duration << "\n" << r->output;
    EXPECT_THAT(r->output, ::testing::HasSubstr("--duration")) << r->output;
    EXPECT_THAT(r->output, ::testing::Not(::testing::HasSubstr("started "))) << r->output;
  }
}

TEST(SchedctlUpTest, ATakenPortIsAClearErrorAndStartsNothing) {
  // The test's own listening socket takes the port.
  const int port = testing::PickFreePort();
  auto blocker = testing::ChildProcess::Start({"python3", "-c",
                                               absl::StrCat("import socket,time\ns=socket.socket()\n"
                                                            "s.bind(('127.0.0.1',", port, "))\ns.listen()\n"
                                                            "time.sleep(60)")},
                                              {}, "/dev/null");
  ASSERT_TRUE(blocker.ok());
  ASSERT_TRUE(testing::WaitForPort(port, absl::Seconds(10)));
  const std::string log = absl::StrCat("/tmp/schedctl-up-port-test-", ::getpid(), ".log");
  std::remove(log.c_str());
  auto up = testing::ChildProcess::Start(
      {testing::BuildDir() + "/src/cli/schedctl", "up", absl::StrCat("--backend-port=", port),
       absl::StrCat("--pubsub-port=", testing::PickFreePort()),
       absl::StrCat("--scheduler-port=", testing::PickFreePort()),
       absl::StrCat("--admin-port=", testing::PickFreePort()), "--duration=5"},
      {}, log);
  ASSERT_TRUE(up.ok());
  const int status = up->Wait(absl::Seconds(30));
  const std::string output = testing::ReadFileOrEmpty(log);
  ASSERT_NE(status, -1) << output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << output;
  EXPECT_THAT(output, ::testing::HasSubstr(absl::StrCat("port ", port,
                                                        " (--backend-port) is already taken on 127.0.0.1")));
  EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr("started ")));
}

}  // namespace
}  // namespace schedsvc
