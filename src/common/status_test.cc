#include "src/common/status.h"

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(StatusTest, HttpStatusesMapToPolicyCodes) {
  EXPECT_TRUE(FromHttpStatus(204, "b").ok());
  EXPECT_EQ(FromHttpStatus(429, "b").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FromHttpStatus(408, "b").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(FromHttpStatus(502, "b").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromHttpStatus(503, "b").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromHttpStatus(500, "b").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromHttpStatus(400, "b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromHttpStatus(401, "b").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(FromHttpStatus(418, "b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromHttpStatus(302, "b").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StatusTest, TransientCodes) {
  EXPECT_TRUE(IsTransient(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsTransient(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(IsTransient(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsTransient(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace schedsvc
