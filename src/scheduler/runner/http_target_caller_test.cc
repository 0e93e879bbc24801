#include "src/scheduler/runner/http_target_caller.h"
#include "src/common/http_server_limits.h"

#include <httplib.h>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;

const absl::Time kScheduleTime = absl::FromUnixSeconds(1'700'000'040);

// Replaces the target's headers.
void SetHeaders(v1::HttpTarget& t, const std::vector<std::pair<std::string, std::string>>& headers) {
  t.clear_headers();
  for (const auto& [name, value] : headers) (*t.mutable_headers())[name] = value;
}

TEST(HttpTargetHeadersTest, AddsCloudSchedulerHeadersAndTokenOverridesAuthorization) {
  v1::HttpTarget t;
  t.set_uri("http://x/");
  SetHeaders(t, {{"Authorization", "Basic secret"}, {"X-A", "1"}, {"User-Agent", "mine"}});
  t.mutable_oidc_token()->set_service_account_email("sa@p");
  auto h = HttpTargetHeaders(t, "job-1", kScheduleTime);
  EXPECT_EQ(h["User-Agent"], "Google-Cloud-Scheduler");
  EXPECT_EQ(h["X-CloudScheduler"], "true");
  EXPECT_EQ(h["X-CloudScheduler-JobName"], "job-1");
  EXPECT_EQ(h["X-CloudScheduler-ScheduleTime"], "2023-11-14T22:14:00Z");
  EXPECT_EQ(h["X-A"], "1");
  EXPECT_EQ(h.count("Authorization"), 0u);
  EXPECT_EQ(h["X-CloudScheduler-Emulator-Auth"], "oidc; serviceAccountEmail=sa@p; audience=http://x/");
}

TEST(HttpTargetHeadersTest, DropsHeadersTheEmulatorComputes) {
  v1::HttpTarget t;
  t.set_uri("http://x/");
  t.set_body("b");
  SetHeaders(t, {{"Host", "evil.example"},       {"content-length", "0"}, {"Transfer-Encoding", "chunked"},
               {"Connection", "keep-alive"},   {"Keep-Alive", "1"},     {"Proxy-Connection", "x"},
               {"TE", "trailers"},             {"Trailer", "X-A"},      {"Upgrade", "h2c"},
               {"X-Google-Internal", "1"},     {"X-AppEngine-Cron", "true"},
               {"X-Kept", "1"}});
  auto h = HttpTargetHeaders(t, "job-1", kScheduleTime);
  for (const auto& [name, value] : t.headers()) {
    if (name == "X-Kept") continue;
    EXPECT_EQ(h.count(name), 0u) << name;
  }
  EXPECT_EQ(h["X-Kept"], "1");
}

class HttpTargetCallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Put("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      last_ = req;
      res.status = 204;
    });
    server_.Get("/count", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 200;
    });
    server_.Get("/fail", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = ServeInBackground(server_);
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
  std::atomic<int> requests_{0};
};

TEST_F(HttpTargetCallerTest, SendsMethodHeadersAndBody) {
  v1::HttpTarget t;
  t.set_uri(Url("/ok"));
  t.set_http_method(v1::PUT);
  SetHeaders(t, {{"X-Custom", "v"}, {"Content-Type", "text/plain"}});
  t.set_body("payload");
  ASSERT_TRUE(CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5)).ok());
  EXPECT_EQ(last_.method, "PUT");
  EXPECT_EQ(last_.body, "payload");
  EXPECT_EQ(last_.get_header_value("X-Custom"), "v");
  EXPECT_EQ(last_.get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(last_.get_header_value("User-Agent"), "Google-Cloud-Scheduler");
  EXPECT_EQ(last_.get_header_value("X-CloudScheduler-ScheduleTime"), "2023-11-14T22:14:00Z");
}

TEST_F(HttpTargetCallerTest, MapsFailuresToCodes) {
  v1::HttpTarget t;
  t.set_http_method(v1::GET);
  t.set_uri(Url("/fail"));
  EXPECT_EQ(CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5)).code(), absl::StatusCode::kUnavailable);
  t.set_uri(Url("/slow"));
  EXPECT_EQ(CallHttpTarget(t, "j", kScheduleTime, absl::Milliseconds(300)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

// A job stored without validation (an old database) still cannot split a request: the attempt is refused
// before anything is sent.
TEST_F(HttpTargetCallerTest, RefusesAStoredHeaderThatWouldSplitTheRequest) {
  v1::HttpTarget t;
  t.set_http_method(v1::GET);
  t.set_uri(Url("/count"));
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"X-A", "v\r\n\r\nGET /count HTTP/1.1\r\nHost: x"},
           {"X-A\r\nX-Injected", "1"},
           {"X-A", std::string("v\0w", 3)}}) {
    SetHeaders(t, {{name, value}});
    const absl::Status s = CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  t.set_uri(Url("/count\r\nX-Injected: 1"));
  t.clear_headers();
  EXPECT_EQ(CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(requests_.load(), 0);
  t.set_uri(Url("/count"));
  EXPECT_TRUE(CallHttpTarget(t, "j", kScheduleTime, absl::Seconds(5)).ok());
  EXPECT_EQ(requests_.load(), 1);
}

}  // namespace
}  // namespace schedsvc::scheduler
