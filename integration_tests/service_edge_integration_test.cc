// schedule-service at its edges, against the official emulator and the real binary: slow or
// idle clients on the admin port do not starve the probes; the admin port refuses request bodies; at
// start the service says clearly when its dead_letter_topic does not exist and when a credential file is
// empty, and starts anyway.
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "integration_tests/service_fixture.h"
#include "testing/slow_http_clients.h"

namespace schedsvc::service_it {
namespace {

constexpr int kOk = 200;
constexpr int kPayloadTooLarge = 413;
// Rounds of header lines from each slow client (testing/slow_http_clients.h has the crowd's size and pace).
constexpr int kTrickles = 20;
using testing::kProbeTimeoutSeconds;
using testing::kSlowClients;
using testing::kSlowClientsStart;
using testing::kTrickleInterval;
// A body small enough to reach the server with its head: the server closes without reading a refused
// body, and a larger one would still be on its way (the client's write would then fail, not the test).
constexpr std::size_t kBodyBytes = 4 * 1024;
// How long the start-up checks have to log their findings.
constexpr absl::Duration kLoggedWithin = absl::Seconds(15);
constexpr absl::Duration kDeliveredWithin = absl::Seconds(30);

class ServiceEdgeTest : public ServiceIntegrationTest {
 protected:
  // The current service log's JSON lines for which `match` is true.
  std::vector<nlohmann::json> LogLines(const std::function<bool(const nlohmann::json&)>& match) {
    std::vector<nlohmann::json> out;
    std::istringstream in(testing::ReadFileOrEmpty(service_logs_.back()));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && match(j)) out.push_back(j);
    }
    return out;
  }

  // Publishes one message and waits for the backend's 2xx for it.
  void ExpectDelivered(const std::string& prefix) {
    const auto ids = Publish(Numbered(prefix, 1));
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_TRUE(WaitAllSucceeded(ids, kDeliveredWithin)) << "message not delivered";
  }
};

// A hundred connections that each trickle a header line every second (never finishing their request) do
// not keep the liveness and readiness probes from being answered.
TEST_F(ServiceEdgeTest, SlowClientsDoNotStarveTheProbes) {
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  testing::SlowHttpClients slow;
  ASSERT_TRUE(slow.Start(admin_port_, kSlowClients, "GET /metrics HTTP/1.1\r\n", kTrickleInterval, kTrickles).ok());
  absl::SleepFor(kSlowClientsStart);
  httplib::Client probe("127.0.0.1", admin_port_);
  probe.set_connection_timeout(kProbeTimeoutSeconds);
  probe.set_read_timeout(kProbeTimeoutSeconds);
  auto healthz = probe.Get("/healthz");
  auto readyz = probe.Get("/readyz");
  slow.Stop();
  ASSERT_TRUE(healthz) << "no answer to /healthz: " << httplib::to_string(healthz.error());
  EXPECT_EQ(healthz->status, kOk);
  ASSERT_TRUE(readyz) << "no answer to /readyz: " << httplib::to_string(readyz.error());
  EXPECT_EQ(readyz->status, kOk);
}

// The admin port serves GETs only: a request body is refused with 413 and the service stays healthy.
TEST_F(ServiceEdgeTest, AdminPortRefusesRequestBodies) {
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  httplib::Client admin("127.0.0.1", admin_port_);
  auto post = admin.Post("/metrics", std::string(kBodyBytes, 'x'), "application/octet-stream");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, kPayloadTooLarge);
  EXPECT_EQ(ReadyStatus(), kOk);
  auto healthz = admin.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, kOk);
}

// A dead_letter_topic that does not exist is logged at ERROR with the topic and the gRPC code; the
// service still becomes ready and delivers.
TEST_F(ServiceEdgeTest, MissingDeadLetterTopicIsLoggedAtStart) {
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  StopService(SIGTERM);
  ASSERT_TRUE(admin_->DeleteTopic(dead_letter_topic_).ok());
  ASSERT_NO_FATAL_FAILURE(StartService());
  auto missing = [&](const nlohmann::json& j) {
    return j.value("severity", "") == "ERROR" && j.value("dead_letter_topic", "") == dead_letter_topic_ &&
           j.value("code", "") == "NOT_FOUND";
  };
  EXPECT_TRUE(WaitFor([&] { return !LogLines(missing).empty(); }, kLoggedWithin))
      << testing::ReadFileOrEmpty(service_logs_.back());
  ExpectDelivered("after-missing-dlq");
}

// An existing dead_letter_topic gets no such line.
TEST_F(ServiceEdgeTest, ExistingDeadLetterTopicIsNotReported) {
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  auto verified = [&](const nlohmann::json& j) {
    return j.value("severity", "") == "INFO" && j.value("dead_letter_topic", "") == dead_letter_topic_;
  };
  EXPECT_TRUE(WaitFor([&] { return !LogLines(verified).empty(); }, kLoggedWithin))
      << testing::ReadFileOrEmpty(service_logs_.back());
  EXPECT_TRUE(LogLines([&](const nlohmann::json& j) { return j.value("code", "") == "NOT_FOUND"; }).empty());
}

// An empty credential file is reported at start, naming the backend and the file (never contents); the
// service starts anyway (a rotation may fill the file).
TEST_F(ServiceEdgeTest, EmptyCredentialFileIsReportedAtStart) {
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  StopService(SIGTERM);
  const std::string password_file = dir_ + "/password";
  WriteFile(password_file, "");
  ASSERT_NO_FATAL_FAILURE(StartService());
  auto empty = [&](const nlohmann::json& j) {
    return j.value("severity", "") == "ERROR" && j.value("backend", "") == "demo" &&
           j.value("file", "") == password_file;
  };
  EXPECT_TRUE(WaitFor([&] { return !LogLines(empty).empty(); }, kLoggedWithin));
  const std::vector<nlohmann::json> lines = LogLines(empty);
  ASSERT_EQ(lines.size(), 1u) << testing::ReadFileOrEmpty(service_logs_.back());
  EXPECT_NE(lines[0].dump().find("empty"), std::string::npos) << lines[0].dump();
}

}  // namespace
}  // namespace schedsvc::service_it
