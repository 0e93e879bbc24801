// DemoBackend over real HTTP on 127.0.0.1 with cpp-httplib's client; plus the demo-backend binary.
#include "src/demo_backend/demo_backend.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "testing/child_process.h"

namespace schedsvc::demo_backend {
namespace {

constexpr char kUser[] = "demo-user";
constexpr char kPassword[] = "demo-pass-7f3";
constexpr int kManyCalls = 400;
constexpr double kHalf = 0.5;

class DemoBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/demo_backend_test_XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    user_file_ = dir_ + "/user";
    password_file_ = dir_ + "/password";
    std::ofstream(user_file_) << kUser << "\n";
    std::ofstream(password_file_) << kPassword << "\n";
  }
  void TearDown() override {
    backend_.reset();
    std::remove(user_file_.c_str());
    std::remove(password_file_.c_str());
    ::rmdir(dir_.c_str());
  }

  void StartBackend(DemoBackendBehavior behavior = {}) {
    DemoBackendOptions options;
    options.port = 0;
    options.username_file = user_file_;
    options.password_file = password_file_;
    options.behavior = std::move(behavior);
    options.threads = 8;
    auto backend = DemoBackend::Start(options);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", backend_->port());
  }

  httplib::Headers AuthHeaders(const std::string& message_id, int attempt,
                               const std::string& password = kPassword) {
    return {{"Authorization",
             "Basic " + absl::Base64Escape(absl::StrCat(kUser, ":", password))},
            {"Idempotency-Key", message_id},
            {"X-Delivery-Attempt", std::to_string(attempt)}};
  }

  int Post(const std::string& path, const std::string& message_id, int attempt = 1) {
    auto res = client_->Post(path.c_str(), AuthHeaders(message_id, attempt), "{}",
                             "application/json");
    return res ? res->status : -1;
  }

  nlohmann::json GetJson(const char* path) {
    auto res = client_->Get(path);
    EXPECT_TRUE(res);
    if (!res) return {};
    return nlohmann::json::parse(res->body);
  }

  std::string dir_;
  std::string user_file_;
  std::string password_file_;
  std::unique_ptr<DemoBackend> backend_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DemoBackendTest, RequiresBasicAuth) {
  StartBackend();
  auto none = client_->Post("/jobs", "{}", "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = client_->Post("/jobs", AuthHeaders("m-1", 1, "wrong"), "{}", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_THAT(wrong->body, ::testing::Not(::testing::HasSubstr(kPassword)));
  EXPECT_EQ(Post("/jobs", "m-1"), 200);
  nlohmann::json stats = GetJson("/_stats");
  EXPECT_EQ(stats["calls"], 3);
  EXPECT_EQ(stats["unauthorized"], 2);
  EXPECT_EQ(stats["by_status"]["200"], 1);
}

TEST_F(DemoBackendTest, RecordsEveryCallWithMessageIdAndAttempt) {
  StartBackend();
  EXPECT_EQ(Post("/a", "m-1", 1), 200);
  EXPECT_EQ(Post("/b", "m-2", 1), 200);
  EXPECT_EQ(Post("/a", "m-1", 2), 200);
  auto put = client_->Put("/c", AuthHeaders("m-3", 1), "x", "text/plain");
  ASSERT_TRUE(put);
  nlohmann::json calls = GetJson("/_calls");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0]["message_id"], "m-1");
  EXPECT_EQ(calls[0]["path"], "/a");
  EXPECT_EQ(calls[0]["method"], "POST");
  EXPECT_EQ(calls[2]["attempt"], 2);
  EXPECT_EQ(calls[3]["method"], "PUT");
  nlohmann::json stats = GetJson("/_stats");
  EXPECT_EQ(stats["unique_messages"], 3);
  EXPECT_EQ(stats["messages_succeeded"], 3);
  EXPECT_EQ(stats["duplicate_successes"], 1);

  ASSERT_TRUE(client_->Post("/_reset", "", "application/json"));
  EXPECT_EQ(GetJson("/_calls").size(), 0u);
  EXPECT_EQ(GetJson("/_stats")["calls"], 0);
}

// A call whose path or Idempotency-Key is not UTF-8 is answered and listed (with U+FFFD), not an exception
// out of the JSON writer that ends the process.
TEST_F(DemoBackendTest, CallsThatAreNotUtf8AreRecordedNotACrash) {
  StartBackend();
  EXPECT_EQ(Post("/%FF", "m-\xff", 1), 200);
  nlohmann::json calls = GetJson("/_calls");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["path"], "/\xEF\xBF\xBD");
  EXPECT_EQ(GetJson("/_stats")["calls"], 1);
}

TEST_F(DemoBackendTest, StatusForPathAndFailRate) {
  DemoBackendBehavior behavior;
  behavior.status_for_path["/bad"] = 400;
  behavior.fail_rate = kHalf;
  behavior.fail_status = 503;
  StartBackend(behavior);
  EXPECT_EQ(Post("/bad", "m-bad"), 400);
  int failures = 0;
  for (int i = 0; i < kManyCalls; ++i) {
    const int status = Post("/ok", absl::StrCat("m-", i));
    ASSERT_TRUE(status == 200 || status == 503) << status;
    if (status == 503) ++failures;
  }
  // Binomial(400, 0.5): outside [120, 280] has probability < 1e-15.
  EXPECT_GT(failures, kManyCalls * 3 / 10);
  EXPECT_LT(failures, kManyCalls * 7 / 10);
}

TEST_F(DemoBackendTest, RuntimeConfigSwitchesBackendDownAndUp) {
  StartBackend();
  EXPECT_EQ(Post("/x", "m-1"), 200);
  auto down = client_->Post("/_config", R"({"fail_rate": 1.0, "fail_status": 503})",
                            "application/json");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 200);
  EXPECT_EQ(Post("/x", "m-2"), 503);
  EXPECT_EQ(Post("/x", "m-3"), 503);
  ASSERT_TRUE(client_->Post("/_config", R"({"fail_rate": 0, "status_for_path": {"/y": 418}})",
                            "application/json"));
  EXPECT_EQ(Post("/x", "m-2"), 200);
  EXPECT_EQ(Post("/y", "m-4"), 418);
  nlohmann::json config = GetJson("/_config");
  EXPECT_EQ(config["status_for_path"]["/y"], 418);
  EXPECT_EQ(config["fail_rate"], 0);

  auto bad = client_->Post("/_config", R"({"fail_rate": 3})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto junk = client_->Post("/_config", "not json", "application/json");
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status, 400);
}

TEST_F(DemoBackendTest, LatencyDelaysAnswers) {
  DemoBackendBehavior behavior;
  behavior.latency = absl::Milliseconds(300);
  StartBackend(behavior);
  // A client timeout shorter than the latency must expire: proves the delay without timing asserts.
  client_->set_read_timeout(0, 50 * 1000);
  auto res = client_->Post("/slow", AuthHeaders("m-1", 1), "{}", "application/json");
  EXPECT_FALSE(res);
}

// A request over the size limit is refused with 413 before its body is kept or the API sees it, and the
// backend keeps serving.
TEST_F(DemoBackendTest, RefusesOversizedRequestsWith413AndKeepsServing) {
  StartBackend();
  const std::string oversized(kDemoBackendMaxRequestBytes + 1, 'x');
  auto refused = client_->Post("/jobs", AuthHeaders("m-big", 1), oversized, "application/octet-stream");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_THAT(refused->body, ::testing::HasSubstr(std::to_string(kDemoBackendMaxRequestBytes)));
  EXPECT_EQ(Post("/jobs", "m-small"), 200);
  nlohmann::json stats = GetJson("/_stats");
  EXPECT_EQ(stats["calls"], 1);
}

TEST(DemoBackendParseTest, StatusForPathAndBehaviorJson) {
  auto parsed = ParseStatusForPath("/bad=400");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, "/bad");
  EXPECT_EQ(parsed->second, 400);
  EXPECT_FALSE(ParseStatusForPath("bad=400").ok());
  EXPECT_FALSE(ParseStatusForPath("/bad=4000").ok());
  EXPECT_FALSE(ParseStatusForPath("/bad").ok());
  auto behavior = ApplyBehaviorJson(R"({"latency": "2s", "fail_status": 500})", {});
  ASSERT_TRUE(behavior.ok()) << behavior.status();
  EXPECT_EQ(behavior->latency, absl::Seconds(2));
  EXPECT_EQ(behavior->fail_status, 500);
  EXPECT_FALSE(ApplyBehaviorJson(R"({"latency": "soon"})", {}).ok());
}

TEST_F(DemoBackendTest, BinaryServesAndStopsOnSigterm) {
  const int port = testing::PickFreePort();
  const std::string binary = testing::BuildDir() + "/src/demo_backend/demo-backend";
  auto process = testing::ChildProcess::Start(
      {binary, "--listen", absl::StrCat("127.0.0.1:", port), "--username-file", user_file_,
       "--password-file", password_file_, "--status-for-path", "/bad=400"},
      {}, dir_ + "/demo-backend.log");
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE(testing::WaitForPort(port, absl::Seconds(20)));
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  EXPECT_EQ(Post("/ok", "m-1"), 200);
  EXPECT_EQ(Post("/bad", "m-2"), 400);
  EXPECT_EQ(GetJson("/_stats")["calls"], 2);
  const int status = process->Stop(SIGTERM, absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string log = testing::ReadFileOrEmpty(dir_ + "/demo-backend.log");
  EXPECT_THAT(log, ::testing::HasSubstr("listening on 127.0.0.1:"));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr(kPassword)));
  std::remove((dir_ + "/demo-backend.log").c_str());
}

}  // namespace
}  // namespace schedsvc::demo_backend
