#include "src/pubsub/internal/grpc_status.h"

#include <grpcpp/support/status.h>

#include "gtest/gtest.h"

namespace schedsvc::pubsub_internal {
namespace {

TEST(GrpcStatusTest, GrpcCodesMapOneToOne) {
  auto s = FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gone"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "gone");
  EXPECT_TRUE(FromGrpc(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
