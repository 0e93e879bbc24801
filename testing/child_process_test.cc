#include "testing/child_process.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace schedsvc::testing
