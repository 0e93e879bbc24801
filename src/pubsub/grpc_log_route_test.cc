#include "src/pubsub/grpc_log_route.h"

#include <unistd.h>

#include <sstream>
#include <string>

#include <grpc/grpc.h>
#include <grpc/support/log.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/stalled_pipe.h"

namespace schedsvc::pubsub {
namespace {

using ::testing::HasSubstr;

// Points file descriptor 2 at a pipe the test reads, for the lifetime of this object.
class CapturedStderr {
 public:
  CapturedStderr() : saved_(::dup(STDERR_FILENO)) { ::dup2(pipe_.write_fd(), STDERR_FILENO); }
  ~CapturedStderr() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  bool ok() const { return saved_ >= 0 && pipe_.ok(); }
  std::string Read() { return pipe_.ReadAvailable(); }

 private:
  testing::StalledPipe pipe_{1 << 16};
  int saved_;
};

// gRPC logs nothing before it is initialised (its verbosity is read then).
class GrpcLogRouteTest : public ::testing::Test {
 protected:
  void SetUp() override { grpc_init(); }
  void TearDown() override { grpc_shutdown(); }
};

TEST_F(GrpcLogRouteTest, GrpcLogLinesBecomeJsonLinesAndNeverReachStderr) {
  std::ostringstream out;
  testing::FakeClock clock;
  JsonLogger log(out, clock);
  CapturedStderr stderr_capture;
  ASSERT_TRUE(stderr_capture.ok());
  {
    GrpcLogRoute route(log);
    gpr_log(GPR_ERROR, "subchannel failed: %s", "connection refused");
  }
  EXPECT_EQ(stderr_capture.Read(), "");
  EXPECT_THAT(out.str(), HasSubstr(R"("severity":"ERROR")"));
  EXPECT_THAT(out.str(), HasSubstr(R"("message":"subchannel failed: connection refused")"));
  EXPECT_THAT(out.str(), HasSubstr(R"("component":"grpc")"));
  EXPECT_THAT(out.str(), HasSubstr(R"("file":")"));
}

TEST_F(GrpcLogRouteTest, AfterTheRouteEndsGrpcWritesToStderrAgain) {
  std::ostringstream out;
  testing::FakeClock clock;
  JsonLogger log(out, clock);
  CapturedStderr stderr_capture;
  ASSERT_TRUE(stderr_capture.ok());
  { GrpcLogRoute route(log); }
  gpr_log(GPR_ERROR, "after the route");
  EXPECT_THAT(stderr_capture.Read(), HasSubstr("after the route"));
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace schedsvc::pubsub
