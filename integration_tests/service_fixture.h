// ServiceIntegrationTest: the fixture shared by the schedule-service integration tests.
// One official Pub/Sub emulator per test binary; per test a topic, a subscription, a dead-letter topic
// with an inspection subscription, secret files and a generated config in a temp dir, the `demo-backend`
// and `schedule-service` binaries from BuildDir() started as child processes on free loopback ports.
// Helpers publish with our Publisher, read the backend's /_calls, scrape /metrics and pull dead letters.
// Every service log written by a test is checked in TearDown for the backend password (plain and in the
// base64 Basic form). Header-only; used by integration_tests/service_*_integration_test.cc only.
#ifndef SCHEDSVC_INTEGRATION_TESTS_SERVICE_FIXTURE_H_
#define SCHEDSVC_INTEGRATION_TESTS_SERVICE_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "integration_tests/sentinel_drain.h"
#include "src/metrics/prometheus_text.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::service_it {

inline constexpr char kProject[] = "projects/schedsvc-svc-it";
inline constexpr char kUser[] = "it-user";
// Distinctive, so a grep for it cannot match anything else.
inline constexpr char kPassword[] = "pw-Zq8rT2vXk9";

// Polls `done` every 50 ms until it is true or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return done();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

// What the demo backend recorded for one call.
struct BackendCall {
  std::string message_id;
  int attempt = 0;
  std::string method;
  std::string path;
  int status = 0;
};

// Knobs of one run's config and backend.
struct RunOptions {
  int ack_deadline_seconds = 10;
  int streams = 2;
  std::string extension_step = "10s";
  std::string shutdown_grace = "10s";
  // retry.max_attempts; nullopt leaves the key out (the service's default: no attempt limit).
  std::optional<int> max_attempts = 5;
  std::string initial_backoff = "100ms";
  std::string max_backoff = "1s";
  bool breaker = false;
  std::string breaker_open_duration = "2s";
  int breaker_minimum_requests = 5;
  std::string timeout = "60s";
  int max_body_bytes = 4096;
  int max_concurrency = 256;
  std::vector<std::string> backend_flags;  // extra demo-backend flags
  // When set, the service's stdout and stderr go to this path (e.g. a FIFO the test never reads) instead
  // of a log file, and TearDown does not read it.
  std::string service_stdout;
  std::string max_extension = "10m";       // lease.max_extension
  // The subscription's dead-letter policy (to the fixture's dead-letter topic) when > 0.
  int max_delivery_attempts = 0;
  // The subscription's retryPolicy when both are set, e.g. "1s".
  absl::Duration retry_policy_min = absl::ZeroDuration();
  absl::Duration retry_policy_max = absl::ZeroDuration();
};

class ServiceIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = testing::PubsubEmulator::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(emulator_, nullptr) << "emulator did not start";
    admin_ = pubsub::MakeAdminClient(Direct());
    char tmpl[] = "/tmp/schedsvc-svc-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }

  void TearDown() override {
    StopService(15);
    backend_.reset();
    // Item i: the password never reaches a log line, plain or as the Basic credential.
    const std::string basic = absl::Base64Escape(absl::StrCat(kUser, ":", kPassword));
    for (const std::string& log : service_logs_) {
      const std::string text = testing::ReadFileOrEmpty(log);
      EXPECT_FALSE(text.empty()) << log << " is empty: the service logged nothing";
      EXPECT_EQ(text.find(kPassword), std::string::npos) << "password in " << log;
      EXPECT_EQ(text.find(basic), std::string::npos) << "Basic credential in " << log;
    }
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  static pubsub::ConnectionOptions Direct() {
    pubsub::ConnectionOptions c;
    c.endpoint = emulator_->host_port();
    c.plaintext = true;
    c.rpc_timeout = absl::Seconds(10);
    return c;
  }

  static std::string Name(const std::string& kind, const std::string& suffix) {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    return absl::StrCat(kProject, "/", kind, "/", test, "-", suffix);
  }

  static void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }

  // Names the service's subscription `subscription_id`, creates the input and dead-letter topics and the
  // subscription that inspects the dead letters (the service's own subscription is the caller's).
  void CreateTopics(const std::string& subscription_id) {
    topic_ = Name("topics", "in");
    dead_letter_topic_ = Name("topics", "dead");
    subscription_ = Name("subscriptions", subscription_id);
    inspect_ = Name("subscriptions", "dead-inspect");
    ASSERT_TRUE(admin_->CreateTopic(topic_).ok());
    ASSERT_TRUE(admin_->CreateTopic(dead_letter_topic_).ok());
    google::pubsub::v1::Subscription d;
    d.set_name(inspect_);
    d.set_topic(dead_letter_topic_);
    d.set_ack_deadline_seconds(60);
    ASSERT_TRUE(admin_->CreateSubscription(d).ok());
  }

  // Creates the topics and subscriptions, writes secrets and config, starts the backend and one service
  // instance and waits until it is ready.
  void StartAll(const RunOptions& options) {
    options_ = options;
    ASSERT_NO_FATAL_FAILURE(CreateTopics("svc"));
    google::pubsub::v1::Subscription s;
    s.set_name(subscription_);
    s.set_topic(topic_);
    s.set_ack_deadline_seconds(options.ack_deadline_seconds);
    if (options.max_delivery_attempts > 0) {
      s.mutable_dead_letter_policy()->set_dead_letter_topic(dead_letter_topic_);
      s.mutable_dead_letter_policy()->set_max_delivery_attempts(options.max_delivery_attempts);
    }
    if (options.retry_policy_min > absl::ZeroDuration() && options.retry_policy_max > absl::ZeroDuration()) {
      s.mutable_retry_policy()->mutable_minimum_backoff()->set_seconds(
          absl::ToInt64Seconds(options.retry_policy_min));
      s.mutable_retry_policy()->mutable_maximum_backoff()->set_seconds(
          absl::ToInt64Seconds(options.retry_policy_max));
    }
    ASSERT_TRUE(admin_->CreateSubscription(s).ok());

    WriteFile(dir_ + "/username", absl::StrCat(kUser, "\n"));
    WriteFile(dir_ + "/password", absl::StrCat(kPassword, "\n"));
    ASSERT_NO_FATAL_FAILURE(StartBackend());
    ASSERT_NO_FATAL_FAILURE(WriteConfig());
    ASSERT_NO_FATAL_FAILURE(StartService());
  }

  // Starts the demo backend on `port`, or on a free port when 0.
  void StartBackend(int port = 0) {
    backend_port_ = port == 0 ? testing::PickFreePort() : port;
    std::vector<std::string> argv = {testing::BuildDir() + "/src/demo_backend/demo-backend",
                                     absl::StrCat("--listen=127.0.0.1:", backend_port_),
                                     "--username-file=" + dir_ + "/username",
                                     "--password-file=" + dir_ + "/password",
                                     "--threads=256"};
    argv.insert(argv.end(), options_.backend_flags.begin(), options_.backend_flags.end());
    auto started = testing::ChildProcess::Start(argv, {}, dir_ + "/backend.log");
    ASSERT_TRUE(started.ok()) << started.status();
    backend_ = std::make_unique<testing::ChildProcess>(std::move(*started));
    ASSERT_TRUE(testing::WaitForPort(backend_port_, absl::Seconds(20)))
        << testing::ReadFileOrEmpty(dir_ + "/backend.log");
  }

  void WriteConfig() {
    admin_port_ = testing::PickFreePort();
    const RunOptions& o = options_;
    const std::string yaml = absl::StrCat(
        "subscription: ", subscription_, "\n",
        "dead_letter_topic: ", dead_letter_topic_, "\n",
        "streams: ", o.streams, "\n",
        "lease:\n  max_extension: ", o.max_extension, "\n  extension_step: ", o.extension_step, "\n",
        "admin:\n  listen: 127.0.0.1:", admin_port_, "\n",
        "shutdown_grace: ", o.shutdown_grace, "\n",
        "routing:\n  default_backend: demo\n",
        "backends:\n  demo:\n    url: http://127.0.0.1:", backend_port_, "\n",
        "    auth:\n      basic:\n        username_file: ", dir_, "/username\n",
        "        password_file: ", dir_, "/password\n",
        "    timeout: ", o.timeout, "\n",
        "    max_concurrency: ", o.max_concurrency, "\n",
        "    max_body_bytes: ", o.max_body_bytes, "\n",
        "    retry:\n", o.max_attempts ? absl::StrCat("      max_attempts: ", *o.max_attempts, "\n") : "",
        "      initial_backoff: ", o.initial_backoff,
        "\n      max_backoff: ", o.max_backoff, "\n",
        "    circuit_breaker:\n      enabled: ", o.breaker ? "true" : "false", "\n",
        "      minimum_requests: ", o.breaker_minimum_requests, "\n      window: 5s\n      open_duration: ",
        o.breaker_open_duration, "\n");
    WriteFile(dir_ + "/config.yaml", yaml);
  }

  // Starts one more schedule-service instance (its log is checked in TearDown) and waits for /readyz.
  void StartService() {
    const bool own_log = options_.service_stdout.empty();
    const std::string log =
        own_log ? absl::StrCat(dir_, "/service-", service_logs_.size(), ".log") : options_.service_stdout;
    if (own_log) service_logs_.push_back(log);
    auto started = testing::ChildProcess::Start(
        {testing::BuildDir() + "/src/service/schedule-service", "--config", dir_ + "/config.yaml"},
        {{"PUBSUB_EMULATOR_HOST", emulator_->host_port()}}, log);
    ASSERT_TRUE(started.ok()) << started.status();
    service_ = std::make_unique<testing::ChildProcess>(std::move(*started));
    ASSERT_TRUE(WaitFor([&] { return ReadyStatus() == 200; }, absl::Seconds(30)))
        << "not ready; log:\n" << (own_log ? testing::ReadFileOrEmpty(log) : "(in " + log + ")");
  }

  // Stops the running instance with `signal`; returns the wait status (-1 if none ran).
  int StopService(int signal, absl::Duration grace = absl::Seconds(30)) {
    if (service_ == nullptr) return -1;
    const int status = service_->Stop(signal, grace);
    service_.reset();
    return status;
  }

  int ReadyStatus() {
    httplib::Client c("127.0.0.1", admin_port_);
    c.set_connection_timeout(1);
    c.set_read_timeout(2);
    auto r = c.Get("/readyz");
    return r ? r->status : 0;
  }

  // Sum of every sample of `metric` (all label sets) in the service's /metrics; nullopt if unreachable.
  std::optional<double> MetricSum(const std::string& metric) {
    httplib::Client c("127.0.0.1", admin_port_);
    c.set_read_timeout(5);
    auto r = c.Get("/metrics");
    if (!r || r->status != 200) return std::nullopt;
    return metrics::SumMetric(r->body, metric);
  }

  httplib::Client Backend() {
    httplib::Client c("127.0.0.1", backend_port_);
    c.set_read_timeout(30);
    return c;
  }

  std::vector<BackendCall> Calls() {
    auto r = Backend().Get("/_calls");
    EXPECT_TRUE(r && r->status == 200);
    std::vector<BackendCall> out;
    if (!r || r->status != 200) return out;
    for (const auto& j : nlohmann::json::parse(r->body)) {
      out.push_back(BackendCall{j.value("message_id", ""), j.value("attempt", 0), j.value("method", ""),
                                j.value("path", ""), j.value("status", 0)});
    }
    return out;
  }

  // Message id → number of 2xx answers the backend gave for it.
  std::map<std::string, int> Successes() {
    std::map<std::string, int> out;
    for (const BackendCall& c : Calls()) {
      if (c.status >= 200 && c.status < 300) ++out[c.message_id];
    }
    return out;
  }

  // True once every id in `ids` got a 2xx from the backend (waits up to `timeout`).
  bool WaitAllSucceeded(const std::vector<std::string>& ids, absl::Duration timeout) {
    return WaitFor(
        [&] {
          auto s = Successes();
          for (const auto& id : ids) {
            if (s.find(id) == s.end()) return false;
          }
          return true;
        },
        timeout);
  }

  void SetBackendConfig(const std::string& json) {
    auto r = Backend().Post("/_config", json, "application/json");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  }

  std::vector<std::string> Publish(std::vector<pubsub::OutgoingMessage> messages) {
    pubsub::PublisherOptions options;
    options.topic = topic_;
    auto publisher = pubsub::MakePublisher(options, Direct());
    EXPECT_TRUE(publisher.ok()) << publisher.status();
    if (!publisher.ok()) return {};
    std::vector<std::future<absl::StatusOr<std::string>>> futures;
    for (auto& m : messages) futures.push_back((*publisher)->Publish(std::move(m)));
    (*publisher)->Flush();
    std::vector<std::string> ids;
    for (auto& f : futures) {
      auto id = f.get();
      EXPECT_TRUE(id.ok()) << id.status();
      if (id.ok()) ids.push_back(*std::move(id));
    }
    (*publisher)->Shutdown();
    return ids;
  }

  // `n` messages with body "<prefix>-<i>" and `attributes`.
  static std::vector<pubsub::OutgoingMessage> Numbered(const std::string& prefix, int n,
                                                      std::map<std::string, std::string> attributes = {}) {
    std::vector<pubsub::OutgoingMessage> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(pubsub::OutgoingMessage{absl::StrCat("{\"n\":\"", prefix, "-", i, "\"}"), attributes, ""});
    }
    return out;
  }

  // Pulls (and acks) the dead-letter inspection subscription until `expected` messages arrived or
  // `timeout` passed; keyed by the original message id (schedsvc.message_id).
  std::map<std::string, std::map<std::string, std::string>> DeadLetters(std::size_t expected,
                                                                        absl::Duration timeout) {
    std::map<std::string, std::map<std::string, std::string>> out;
    WaitFor(
        [&] {
          auto pulled = admin_->Pull(inspect_, 1000);
          if (pulled.ok() && !pulled->empty()) {
            std::vector<std::string> acks;
            for (const auto& r : *pulled) {
              std::map<std::string, std::string> attrs(r.message().attributes().begin(),
                                                       r.message().attributes().end());
              out[attrs["schedsvc.message_id"]] = attrs;
              acks.push_back(r.ack_id());
            }
            EXPECT_TRUE(admin_->Acknowledge(inspect_, acks).ok());
          }
          return out.size() >= expected;
        },
        timeout);
    return out;
  }

  // After the service has stopped: proves the subscription holds nothing deliverable but a sentinel
  // published now (sentinel_drain.h); returns the ids of everything else pulled.
  std::vector<std::string> PullAllExceptSentinel() {
    auto ids = Publish({pubsub::OutgoingMessage{"sentinel", {{"sentinel", "1"}}, ""}});
    EXPECT_EQ(ids.size(), 1u);
    const auto report = integration::DrainUntilSentinel(*admin_, subscription_, ids.empty() ? "" : ids[0]);
    EXPECT_TRUE(report.sentinel_seen) << "emptiness is not proven: " << report.Describe();
    return report.others;
  }

  static testing::PubsubEmulator* emulator_;
  std::unique_ptr<pubsub::AdminClient> admin_;
  std::string dir_;
  RunOptions options_;
  std::string topic_, dead_letter_topic_, subscription_, inspect_;
  int backend_port_ = 0;
  int admin_port_ = 0;
  std::unique_ptr<testing::ChildProcess> backend_;
  std::unique_ptr<testing::ChildProcess> service_;
  std::vector<std::string> service_logs_;
};

inline testing::PubsubEmulator* ServiceIntegrationTest::emulator_ = nullptr;

}  // namespace schedsvc::service_it

#endif  // SCHEDSVC_INTEGRATION_TESTS_SERVICE_FIXTURE_H_
