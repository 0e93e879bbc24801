#include "src/cli/local_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"

namespace schedsvc::cli {
namespace {

using ::testing::HasSubstr;

// How long a test waits for a child to end (it is a `sleep` far longer than this).
constexpr absl::Duration kExitWait = absl::Seconds(10);
constexpr char kLongSleep[] = "120";

std::string LogPath() {
  return absl::StrCat(::testing::TempDir(), "/local_process_test_", ::getpid(), "_",
                      ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".log");
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A socket listening on 127.0.0.1 at a free port, which it sets in `*port`; -1 on failure.
int ListenOnLoopback(int* port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || ::listen(listener, 1) != 0) {
    ::close(listener);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return listener;
}

// Waits up to kExitWait for `pid` (a child of this process) to end; returns its wait status or -1.
int WaitFor(pid_t pid) {
  const absl::Time deadline = absl::Now() + kExitWait;
  int status = 0;
  while (absl::Now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return -1;
}

// A port a server just used and closed first (as a server does after its answer) has sockets in
// TIME_WAIT; the servers bind over them (cpp-httplib and gRPC with SO_REUSEPORT, the JVM with
// SO_REUSEADDR), so the port is free for them and must be for `up` too.
TEST(LoopbackPortFreeTest, APortInTimeWaitIsFree) {
  for (int option : {SO_REUSEPORT, SO_REUSEADDR}) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ASSERT_EQ(::setsockopt(listener, SOL_SOCKET, option, &one, sizeof(one)), 0);
    sockaddr_in addr = Loopback(0);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const int port = ntohs(addr.sin_port);
    ASSERT_EQ(::listen(listener, 1), 0);
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    const int served = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(served, 0);
    ::close(listener);
    // The server side closes first, so the TIME_WAIT socket holds the server's port.
    ::close(served);
    char byte;
    EXPECT_EQ(::recv(client, &byte, 1, 0), 0);
    ::close(client);
    EXPECT_TRUE(LoopbackPortFree(port)) << "port " << port << " has only a TIME_WAIT socket (option " << option << ")";
  }
}

TEST(LoopbackPortFreeTest, AListeningPortIsTaken) {
  int port = 0;
  const int listener = ListenOnLoopback(&port);
  ASSERT_GE(listener, 0);
  EXPECT_FALSE(LoopbackPortFree(port));
  ::close(listener);
}

// The console's health probe asks with a tiny timeout: the connect must still be tried once, however long
// the thread waited to run (on a busy machine the deadline could pass before the first try).
TEST(WaitForLoopbackPortTest, TriesOnceEvenWithNoTimeLeft) {
  int port = 0;
  const int listener = ListenOnLoopback(&port);
  ASSERT_GE(listener, 0);
  EXPECT_TRUE(WaitForLoopbackPort(port, absl::ZeroDuration()));
  ::close(listener);
}

TEST(LocalProcessTest, RunsInItsOwnGroupWithTheEnvironmentAndLog) {
  const std::string log = LogPath();
  std::remove(log.c_str());
  auto child = LocalProcess::Start("echo", {"/bin/sh", "-c", "echo \"value=$LOCAL_PROCESS_TEST_VAR\"; exec sleep 120"},
                                   {{"LOCAL_PROCESS_TEST_VAR", "42"}}, log);
  ASSERT_TRUE(child.ok()) << child.status();
  const absl::Time deadline = absl::Now() + kExitWait;
  while (testing::ReadFileOrEmpty(log).empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_THAT(testing::ReadFileOrEmpty(log), HasSubstr("value=42"));
  EXPECT_EQ(::getpgid((*child)->pid()), (*child)->pid());
  EXPECT_TRUE((*child)->Running());
  EXPECT_THAT((*child)->Stop(absl::Seconds(5)), HasSubstr("stopped"));
  EXPECT_FALSE((*child)->Running());
}

TEST(LocalProcessTest, AProgramThatCannotBeStartedIsAnError) {
  auto child = LocalProcess::Start("missing", {"/nonexistent/local_process_test_binary"}, {}, LogPath());
  if (child.ok()) {
    // Started through a launcher: the launcher then fails at once.
    EXPECT_NE(WaitFor((*child)->pid()), -1);
  }
}

// `schedctl up` killed with SIGKILL runs no cleanup: its children must die with it. The kernel signals a
// child when the thread that started it ends, so a thread that starts one and returns stands in for it.
TEST(LocalProcessTest, ChildrenDieWithTheThreadThatStartedThem) {
  pid_t pid = -1;
  std::unique_ptr<LocalProcess> keep;
  std::thread starter([&] {
    auto child = LocalProcess::Start("sleeper", {"/bin/sleep", kLongSleep}, {}, LogPath());
    ASSERT_TRUE(child.ok()) << child.status();
    pid = (*child)->pid();
    keep = *std::move(child);
    // End only once the program runs: the death signal is armed just before setpriv execs it.
    const absl::Time deadline = absl::Now() + kExitWait;
    while (absl::Now() < deadline) {
      std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
      std::string command;
      if (std::getline(comm, command) && command == "sleep") break;
      absl::SleepFor(absl::Milliseconds(10));
    }
  });
  starter.join();
  ASSERT_GT(pid, 0);
  const int status = WaitFor(pid);
  ASSERT_NE(status, -1) << "the child outlived the thread that started it";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
  if (status == -1) ::kill(-pid, SIGKILL);
}

}  // namespace
}  // namespace schedsvc::cli
