#include "src/common/status.h"

#include <curl/curl.h>
#include <grpcpp/support/status.h>

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(StatusTest, GrpcCodesMapOneToOne) {
  auto s = FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gone"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "gone");
  EXPECT_TRUE(FromGrpc(grpc::Status::OK).ok());
}

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

TEST(StatusTest, CurlErrorsMapToPolicyCodes) {
  EXPECT_TRUE(FromCurlCode(CURLE_OK, "").ok());
  EXPECT_EQ(FromCurlCode(CURLE_OPERATION_TIMEDOUT, "t").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(FromCurlCode(CURLE_COULDNT_CONNECT, "c").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromCurlCode(CURLE_PEER_FAILED_VERIFICATION, "v").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(StatusTest, TransientCodes) {
  EXPECT_TRUE(IsTransient(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsTransient(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(IsTransient(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsTransient(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace schedsvc
