#include "src/service/admin_server.h"

#include <httplib.h>

#include <atomic>
#include <string>

#include "gtest/gtest.h"

namespace schedsvc::service {
namespace {

constexpr int kServiceUnavailable = 503;
constexpr int kOk = 200;

TEST(AdminServerTest, ReadyzAnswersNotReadyWithTheReasonInTheBody) {
  std::atomic<bool> ready{false};
  AdminServer server(
      std::make_shared<prometheus::Registry>(),
      [&] {
        return ready ? Readiness{true, ""}
                     : Readiness{false, "no stream connected: stream 0: NOT_FOUND: Subscription does not exist"};
      },
      nullptr);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());
  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, kServiceUnavailable);
  EXPECT_EQ(not_ready->body, "not ready: no stream connected: stream 0: NOT_FOUND: Subscription does not exist\n");
  ready = true;
  auto now_ready = client.Get("/readyz");
  ASSERT_TRUE(now_ready);
  EXPECT_EQ(now_ready->status, kOk);
  EXPECT_EQ(now_ready->body, "ready\n");
  server.Stop();
}

}  // namespace
}  // namespace schedsvc::service
