#include "src/dispatch/curl_status.h"

#include <curl/curl.h>

#include "gtest/gtest.h"

namespace schedsvc::dispatch {
namespace {

TEST(CurlStatusTest, CurlErrorsMapToPolicyCodes) {
  EXPECT_TRUE(FromCurlCode(CURLE_OK, "").ok());
  EXPECT_EQ(FromCurlCode(CURLE_OPERATION_TIMEDOUT, "t").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(FromCurlCode(CURLE_COULDNT_CONNECT, "c").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromCurlCode(CURLE_PEER_FAILED_VERIFICATION, "v").code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace schedsvc::dispatch
