#include "testing/child_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::testing {
namespace {

using ::testing::HasSubstr;

std::string LogPath() {
  return absl::StrCat(::testing::TempDir(), "/child_process_test_", ::getpid(), "_",
                      ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".log");
}

TEST(RunToExitTest, ReturnsExitCodeAndBothOutputStreams) {
  auto r = RunToExit({"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"}, {}, LogPath(), absl::Seconds(30));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_THAT(r->output, HasSubstr("to-stdout"));
  EXPECT_THAT(r->output, HasSubstr("to-stderr"));
}

TEST(RunToExitTest, PassesExtraEnvironment) {
  auto r = RunToExit({"sh", "-c", "echo \"value=$CHILD_PROCESS_TEST_VAR\""}, {{"CHILD_PROCESS_TEST_VAR", "42"}},
                     LogPath(), absl::Seconds(30));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_THAT(r->output, HasSubstr("value=42"));
}

TEST(RunToExitTest, StopsAProgramStillRunningAtTheTimeout) {
  auto r = RunToExit({"sh", "-c", "echo started; exec sleep 60"}, {}, LogPath(), absl::Seconds(2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_THAT(r->output, HasSubstr("started"));
}

TEST(RunToExitTest, FailsWhenTheProgramCannotBeStarted) {
  auto r = RunToExit({"/nonexistent/child_process_test_binary"}, {}, LogPath(), absl::Seconds(5));
  EXPECT_FALSE(r.ok());
}

// A bench or test that aborts runs no destructors: the programs it started must not outlive it.
TEST(ChildProcessTest, ProgramDiesWithTheProcessThatStartedIt) {
  // Orphans of this test become this process's children (not init's), so the test can reap what it
  // started and leaves no zombie behind.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string log = LogPath();
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {  // The short-lived parent: starts a long sleep, reports its PID, dies abruptly.
    ::close(fds[0]);
    auto child = ChildProcess::Start({"sleep", "60"}, {}, log);
    const pid_t pid = child.ok() ? child->pid() : -1;
    // Die only once the program runs (the death signal is armed just before it is exec'd).
    for (int i = 0; i < 500 && pid > 0; ++i) {
      std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
      std::string name;
      if (std::getline(comm, name) && name == "sleep") break;
      ::usleep(10000);
    }
    (void)!::write(fds[1], &pid, sizeof(pid));
    ::_exit(0);  // no destructors, like an abort
  }
  ::close(fds[1]);
  pid_t grandchild = -1;
  ASSERT_EQ(::read(fds[0], &grandchild, sizeof(grandchild)), static_cast<ssize_t>(sizeof(grandchild)));
  ::close(fds[0]);
  ::waitpid(parent, nullptr, 0);
  ASSERT_GT(grandchild, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool exited = false;
  while (!(exited = ::waitpid(grandchild, nullptr, WNOHANG) == grandchild) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (!exited) {  // the process this test started, by PID
    ::kill(grandchild, SIGKILL);
    ::waitpid(grandchild, nullptr, 0);
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  EXPECT_TRUE(exited) << "sleep " << grandchild << " outlived the process that started it";
}

TEST(ChildProcessTest, FailsWhenTheProgramIsNotOnPath) {
  auto child = ChildProcess::Start({"child-process-test-no-such-program"}, {}, LogPath());
  ASSERT_FALSE(child.ok());
  EXPECT_THAT(child.status().message(), HasSubstr("child-process-test-no-such-program"));
}

}  // namespace
}  // namespace schedsvc::testing
