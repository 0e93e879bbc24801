#include "src/scheduler/http_target_caller.h"

#include <httplib.h>

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

const absl::Time kScheduleTime = absl::FromUnixSeconds(1'700'000'040);

TEST(HttpTargetHeadersTest, AddsCloudSchedulerHeadersAndTokenOverridesAuthorization) {
  HttpTarget t;
  t.uri = "http://x/";
  t.headers = {{"Authorization", "Basic secret"}, {"X-A", "1"}, {"User-Agent", "mine"}};
  t.oidc_token = OidcToken{"sa@p", ""};
  auto h = HttpTargetHeaders(t, "job-1", kScheduleTime);
  EXPECT_EQ(h["User-Agent"], "Google-Cloud-Scheduler");
  EXPECT_EQ(h["X-CloudScheduler"], "true");
  EXPECT_EQ(h["X-CloudScheduler-JobName"], "job-1");
  EXPECT_EQ(h["X-CloudScheduler-ScheduleTime"], "2023-11-14T22:14:00Z");
  EXPECT_EQ(h["X-A"], "1");
  EXPECT_EQ(h.count("Authorization"), 0u);
  EXPECT_EQ(h["X-CloudScheduler-Emulator-Auth"], "oidc; serviceAccountEmail=sa@p; audience=http://x/");
}

class HttpTargetCallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Put("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      last_ = req;
      res.status = 204;
    });
    server_.Get("/fail", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bound already, so connections queue in the backlog until listen starts accepting.
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  httplib::Request last_;
};

TEST_F(HttpTargetCallerTest, SendsMethodHeadersAndBody) {
  HttpTarget t;
  t.uri = Url("/ok");
  t.http_method = HttpMethod::kPut;
  t.headers = {{"X-Custom", "v"}, {"Content-Type", "text/plain"}};
  t.body = "payload";
  ASSERT_TRUE(CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5)).ok());
  EXPECT_EQ(last_.method, "PUT");
  EXPECT_EQ(last_.body, "payload");
  EXPECT_EQ(last_.get_header_value("X-Custom"), "v");
  EXPECT_EQ(last_.get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(last_.get_header_value("User-Agent"), "Google-Cloud-Scheduler");
  EXPECT_EQ(last_.get_header_value("X-CloudScheduler-ScheduleTime"), "2023-11-14T22:14:00Z");
}

TEST_F(HttpTargetCallerTest, MapsFailuresToCodes) {
  HttpTarget t;
  t.http_method = HttpMethod::kGet;
  t.uri = Url("/fail");
  EXPECT_EQ(CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5)).code(), absl::StatusCode::kUnavailable);
  t.uri = Url("/slow");
  EXPECT_EQ(CallHttpTarget(t, "j", kScheduleTime, absl::Milliseconds(300)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace schedsvc::scheduler
