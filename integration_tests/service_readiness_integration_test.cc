// schedule-service readiness and stream failures against the official emulator:
// a service pointed at a missing subscription says so at once (a log line naming NOT_FOUND and the
// subscription, /readyz 503 with the reason, schedsvc_stream_failures_total) and recovers by itself once
// the subscription exists; the same when the emulator goes away (UNAVAILABLE) and comes back on its port.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "integration_tests/service_fixture.h"

namespace schedsvc::service_it {
namespace {

// How long the service has to notice a failure, and to recover once it is fixed (the permanent-failure
// backoff starts at 10 s, jittered).
constexpr absl::Duration kNoticeWithin = absl::Seconds(10);
constexpr absl::Duration kRecoverWithin = absl::Seconds(30);

class ServiceReadinessTest : public ServiceIntegrationTest {
 protected:
  // Creates the topics but not the service's subscription, starts the backend and the service, and does
  // not wait for readiness.
  void StartWithoutSubscription() {
    options_ = RunOptions{};
    topic_ = Name("topics", "in");
    dead_letter_topic_ = Name("topics", "dead");
    subscription_ = Name("subscriptions", "svc");
    ASSERT_TRUE(admin_->CreateTopic(topic_).ok());
    ASSERT_TRUE(admin_->CreateTopic(dead_letter_topic_).ok());
    WriteFile(dir_ + "/username", absl::StrCat(kUser, "\n"));
    WriteFile(dir_ + "/password", absl::StrCat(kPassword, "\n"));
    ASSERT_NO_FATAL_FAILURE(StartBackend());
    ASSERT_NO_FATAL_FAILURE(WriteConfig());
    const std::string log = absl::StrCat(dir_, "/service-", service_logs_.size(), ".log");
    service_logs_.push_back(log);
    auto started = testing::ChildProcess::Start(
        {testing::BuildDir() + "/src/service/schedule-service", "--config", dir_ + "/config.yaml"},
        {{"PUBSUB_EMULATOR_HOST", emulator_->host_port()}}, log);
    ASSERT_TRUE(started.ok()) << started.status();
    service_ = std::make_unique<testing::ChildProcess>(std::move(*started));
  }

  void CreateSubscription() {
    google::pubsub::v1::Subscription s;
    s.set_name(subscription_);
    s.set_topic(topic_);
    s.set_ack_deadline_seconds(options_.ack_deadline_seconds);
    ASSERT_TRUE(admin_->CreateSubscription(s).ok());
  }

  // /readyz: status and body (0 and "" if unreachable).
  std::pair<int, std::string> Readyz() {
    httplib::Client c("127.0.0.1", admin_port_);
    c.set_connection_timeout(1);
    c.set_read_timeout(2);
    auto r = c.Get("/readyz");
    if (!r) return {0, ""};
    return {r->status, r->body};
  }

  // The service's log lines that carry `code` and name the subscription.
  std::vector<nlohmann::json> FailureLines(const std::string& code) {
    std::vector<nlohmann::json> out;
    std::istringstream in(testing::ReadFileOrEmpty(service_logs_.back()));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("code", "") == code && j.value("subscription", "") == subscription_) {
        out.push_back(j);
      }
    }
    return out;
  }

  double StreamFailures() { return MetricSum("schedsvc_stream_failures_total").value_or(0); }

  // Publishes one message and waits for the backend's 2xx for it.
  void ExpectDelivered(const std::string& prefix) {
    const auto ids = Publish(Numbered(prefix, 1));
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_TRUE(WaitAllSucceeded(ids, kRecoverWithin)) << "message not delivered after recovery";
  }
};

TEST_F(ServiceReadinessTest, MissingSubscriptionIsReportedAndPickedUpOnceCreated) {
  ASSERT_NO_FATAL_FAILURE(StartWithoutSubscription());
  ASSERT_TRUE(WaitFor([&] { return !FailureLines("NOT_FOUND").empty(); }, kNoticeWithin))
      << testing::ReadFileOrEmpty(service_logs_.back());
  const nlohmann::json line = FailureLines("NOT_FOUND").front();
  EXPECT_EQ(line.value("severity", ""), "ERROR");
  EXPECT_EQ(line.value("pubsub_endpoint", ""), emulator_->host_port());
  EXPECT_EQ(line.value("permanent", false), true);
  const auto [status, body] = Readyz();
  EXPECT_EQ(status, 503);
  EXPECT_NE(body.find("NOT_FOUND"), std::string::npos) << body;
  EXPECT_NE(body.find(subscription_), std::string::npos) << body;
  EXPECT_GT(StreamFailures(), 0);
  // Never ready while the subscription is missing: a stream whose first write completed is not connected
  // yet (the server answers NOT_FOUND only after it).
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Readyz().first, 503) << "ready with the subscription missing";
    absl::SleepFor(absl::Milliseconds(50));
  }

  ASSERT_NO_FATAL_FAILURE(CreateSubscription());
  ASSERT_TRUE(WaitFor([&] { return Readyz().first == 200; }, kRecoverWithin)) << Readyz().second;
  ExpectDelivered("after-create");
}

TEST_F(ServiceReadinessTest, EmulatorRestartIsReportedAndRecoveredFrom) {
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  const int port = emulator_->port();
  delete emulator_;
  emulator_ = nullptr;
  ASSERT_TRUE(WaitFor([&] { return !FailureLines("UNAVAILABLE").empty(); }, kNoticeWithin))
      << testing::ReadFileOrEmpty(service_logs_.back());
  ASSERT_TRUE(WaitFor([&] { return Readyz().first == 503; }, kNoticeWithin));
  const auto [status, body] = Readyz();
  EXPECT_NE(body.find("UNAVAILABLE"), std::string::npos) << body;
  EXPECT_GT(StreamFailures(), 0);

  auto restarted = testing::PubsubEmulator::Start(port);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  emulator_ = std::move(*restarted).release();
  // The emulator keeps nothing: recreate the topics and the subscription.
  ASSERT_TRUE(admin_->CreateTopic(topic_).ok());
  ASSERT_TRUE(admin_->CreateTopic(dead_letter_topic_).ok());
  ASSERT_NO_FATAL_FAILURE(CreateSubscription());
  ASSERT_TRUE(WaitFor([&] { return Readyz().first == 200; }, kRecoverWithin)) << Readyz().second;
  ExpectDelivered("after-restart");
}

}  // namespace
}  // namespace schedsvc::service_it
