// `schedctl up` end to end: the whole local pipeline (official Pub/Sub emulator, cloud-scheduler-emulator,
// demo-backend, schedule-service) started on free ports, the sample job's run observed at the backend,
// and every child gone after the command stops by itself.
#include <signal.h>

#include <cerrno>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"

namespace schedsvc {
namespace {

constexpr int kDurationSeconds = 60;

TEST(SchedctlUpTest, RunsThePipelineDeliversTheSampleRunAndLeavesNoProcessBehind) {
  const std::string workdir = absl::StrCat("/tmp/schedctl-up-test-", ::getpid());
  const std::string log = workdir + ".log";
  std::remove(log.c_str());
  auto up = testing::ChildProcess::Start(
      {testing::BuildDir() + "/src/cli/schedctl", "up", "--workdir", workdir,
       absl::StrCat("--pubsub-port=", testing::PickFreePort()),
       absl::StrCat("--scheduler-port=", testing::PickFreePort()),
       absl::StrCat("--backend-port=", testing::PickFreePort()),
       absl::StrCat("--admin-port=", testing::PickFreePort()), absl::StrCat("--duration=", kDurationSeconds),
       "--status-interval=2"},
      {}, log);
  ASSERT_TRUE(up.ok()) << up.status();
  const int status = up->Wait(absl::Seconds(kDurationSeconds + 90));
  const std::string output = testing::ReadFileOrEmpty(log);
  ASSERT_NE(status, -1) << "schedctl up did not stop by itself\n" << output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;

  // The sample job's run reached the backend and succeeded.
  std::smatch match;
  int best = 0;
  std::string text = output;
  const std::regex ok_re("messages ok ([0-9]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ok_re); it != std::sregex_iterator(); ++it) {
    best = std::max(best, std::stoi((*it)[1].str()));
  }
  EXPECT_GE(best, 1) << output;

  // Every child it reported is gone.
  const std::regex pid_re("started ([A-Za-z0-9_.-]+) pid ([0-9]+)");
  std::vector<int> pids;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pid_re); it != std::sregex_iterator(); ++it) {
    pids.push_back(std::stoi((*it)[2].str()));
  }
  EXPECT_EQ(pids.size(), 4u) << output;
  for (int pid : pids) {
    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1) << "pid " << pid << " still exists\n" << output;
    EXPECT_EQ(errno, ESRCH);
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
  EXPECT_THAT(output, ::testing::HasSubstr(absl::StrCat(port)));
  EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr("started ")));
}

}  // namespace
}  // namespace schedsvc
