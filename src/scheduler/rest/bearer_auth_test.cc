#include "src/scheduler/rest/bearer_auth.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

TEST(BearerAuthTest, ChecksTokenAndPicksUpRotation) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/bearer_", getpid());
  std::ofstream(path) << "first-token\n";
  absl::StatusOr<std::unique_ptr<BearerAuth>> auth = BearerAuth::FromFile(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->Check("Bearer first-token").ok());
  EXPECT_EQ((*auth)->Check("Bearer wrong").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("Basic first-token").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string((*auth)->Check("Bearer wrong").message()), ::testing::Not(::testing::HasSubstr("first")));
  // Rotation: a new file content (and mtime) is used without a restart.
  sleep(1);
  std::ofstream(path) << "second-token";
  EXPECT_TRUE((*auth)->Check("Bearer second-token").ok());
  EXPECT_FALSE((*auth)->Check("Bearer first-token").ok());
  std::remove(path.c_str());
}

TEST(BearerAuthTest, MissingFileIsAnError) {
  EXPECT_EQ(BearerAuth::FromFile("/nonexistent/token").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace schedsvc::scheduler
