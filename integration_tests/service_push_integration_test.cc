// schedule-service with ingest: push, end to end: the official emulator's push delivery POSTs each message
// to the real service binary, which calls the demo backend. Wrapped and unwrapped (with and without
// metadata) deliveries reach the backend with Basic auth; a 503 from the backend answers the push 503 and
// Pub/Sub delivers the message again later; a 400 is dead-lettered with its reason after one attempt and
// acked; afterwards the subscription holds nothing (proved by turning it into a pull subscription and
// draining it up to a sentinel). The emulator sends no OIDC token: these runs use push.auth: none. The
// fixture checks every service log for the password in TearDown.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "integration_tests/service_fixture.h"
#include "testing/oidc_test_tokens.h"

namespace schedsvc::service_it {
namespace {

constexpr char kPushPath[] = "/pubsub/push";
constexpr int kAckDeadlineSeconds = 10;
// The push subscription's retry policy: short, so a nacked push comes back within the test.
constexpr int kRetryMinSeconds = 1;
constexpr int kRetryMaxSeconds = 2;
constexpr int kMessages = 5;
constexpr int kHttpOk = 200;
constexpr absl::Duration kDeliveryTimeout = absl::Seconds(60);
// Longer than the emulator's retry backoff and the ack deadline: a message that was going to come back
// has come back by then.
constexpr absl::Duration kQuietPeriod = absl::Seconds(kAckDeadlineSeconds + kRetryMaxSeconds + 2);

enum class Wrapper { kWrapped, kUnwrappedWithMetadata, kUnwrapped };

class ServicePushTest : public ServiceIntegrationTest {
 protected:
  // Topics, a dead-letter inspection subscription, the backend, the service in push mode (ready), and
  // then the push subscription pointing at it.
  // `auth` is the push.auth section's YAML (indented under push:); `subscribe` false leaves out the push
  // subscription (the test POSTs itself).
  void StartPush(Wrapper wrapper, std::vector<std::string> backend_flags = {},
                 const std::string& auth = "  auth: none\n", bool subscribe = true) {
    options_.backend_flags = std::move(backend_flags);
    ASSERT_NO_FATAL_FAILURE(CreateTopics("push"));
    WriteFile(dir_ + "/username", absl::StrCat(kUser, "\n"));
    WriteFile(dir_ + "/password", absl::StrCat(kPassword, "\n"));
    ASSERT_NO_FATAL_FAILURE(StartBackend());
    admin_port_ = testing::PickFreePort();
    push_port_ = testing::PickFreePort();
    const std::string yaml = absl::StrCat(
        "ingest: push\n", "subscription: ", subscription_, "\n", "dead_letter_topic: ", dead_letter_topic_, "\n",
        "push:\n  listen: 127.0.0.1:", push_port_, "\n  path: ", kPushPath, "\n  ack_deadline: ",
        kAckDeadlineSeconds, "s\n", auth, "admin:\n  listen: 127.0.0.1:", admin_port_, "\n",
        "shutdown_grace: 5s\n", "routing:\n  default_backend: demo\n",
        "backends:\n  demo:\n    url: http://127.0.0.1:", backend_port_, "\n",
        "    auth:\n      basic:\n        username_file: ", dir_, "/username\n", "        password_file: ", dir_,
        "/password\n", "    timeout: 5s\n", "    retry:\n      max_attempts: 1\n",
        "    circuit_breaker:\n      enabled: false\n");
    WriteFile(dir_ + "/config.yaml", yaml);
    ASSERT_NO_FATAL_FAILURE(StartService());
    if (subscribe) {
      ASSERT_NO_FATAL_FAILURE(CreatePushSubscription(wrapper));
    }
  }

  // PUT the subscription through the emulator's REST API (it takes the push options our proto subset
  // does not carry).
  void CreatePushSubscription(Wrapper wrapper) {
    nlohmann::json push_config = {
        {"pushEndpoint", absl::StrCat("http://127.0.0.1:", push_port_, kPushPath)}};
    if (wrapper == Wrapper::kUnwrappedWithMetadata) push_config["noWrapper"] = {{"writeMetadata", true}};
    if (wrapper == Wrapper::kUnwrapped) push_config["noWrapper"] = {{"writeMetadata", false}};
    const nlohmann::json body = {
        {"topic", topic_},
        {"ackDeadlineSeconds", kAckDeadlineSeconds},
        {"pushConfig", push_config},
        {"retryPolicy",
         {{"minimumBackoff", absl::StrCat(kRetryMinSeconds, "s")}, {"maximumBackoff", absl::StrCat(kRetryMaxSeconds, "s")}}}};
    httplib::Client c("127.0.0.1", emulator_->port());
    c.set_read_timeout(10);
    auto r = c.Put(absl::StrCat("/v1/", subscription_).c_str(), body.dump(), "application/json");
    ASSERT_TRUE(r) << "emulator did not answer";
    ASSERT_EQ(r->status, kHttpOk) << r->body;
  }

  // Turns the push subscription into a pull one (empty push config), so what it still holds can be pulled.
  void MakePull() {
    httplib::Client c("127.0.0.1", emulator_->port());
    c.set_read_timeout(10);
    auto r = c.Post(absl::StrCat("/v1/", subscription_, ":modifyPushConfig").c_str(),
                    R"({"pushConfig":{}})", "application/json");
    ASSERT_TRUE(r) << "emulator did not answer";
    ASSERT_EQ(r->status, kHttpOk) << r->body;
  }

  // Every message id the backend answered 2xx, and the calls per id.
  std::map<std::string, int> CallsPerId() {
    std::map<std::string, int> out;
    for (const BackendCall& c : Calls()) ++out[c.message_id];
    return out;
  }

  // Delivers kMessages with `wrapper`, checks each reached the backend once with Basic auth (the demo
  // backend answers 401 without it), then that nothing is left.
  void ExpectDeliveredOnce(Wrapper wrapper, bool ids_known) {
    ASSERT_NO_FATAL_FAILURE(StartPush(wrapper));
    const std::vector<std::string> ids = Publish(Numbered("push", kMessages, {{"path", "/jobs/run"}}));
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(kMessages));
    ASSERT_TRUE(WaitFor([&] { return static_cast<int>(Successes().size()) >= kMessages; }, kDeliveryTimeout))
        << "delivered: " << Successes().size();
    ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_push_requests_total").value_or(0) >= kMessages; },
                        absl::Seconds(10)));
    absl::SleepFor(kQuietPeriod);
    for (const BackendCall& c : Calls()) {
      EXPECT_EQ(c.status, kHttpOk) << "unexpected status (401 = bad auth) for " << c.message_id;
      EXPECT_EQ(c.method, "POST");
      // Without metadata there are no attributes: the path attribute cannot arrive.
      if (wrapper != Wrapper::kUnwrapped) {
        EXPECT_EQ(c.path, "/jobs/run") << c.message_id;
      }
    }
    const auto per_id = CallsPerId();
    EXPECT_EQ(per_id.size(), static_cast<std::size_t>(kMessages));
    if (ids_known) {
      for (const std::string& id : ids) EXPECT_EQ(per_id.count(id) ? per_id.at(id) : 0, 1) << id;
    } else {
      for (const auto& [id, n] : per_id) {
        EXPECT_EQ(n, 1) << id;
        EXPECT_TRUE(absl::StartsWith(id, "push-")) << id;
      }
    }
    EXPECT_EQ(MetricSum("schedsvc_messages_acked_total").value_or(-1), kMessages);
    EXPECT_EQ(StopService(15), 0);
    ASSERT_NO_FATAL_FAILURE(MakePull());
    EXPECT_TRUE(PullAllExceptSentinel().empty());
  }

  int push_port_ = 0;
};

TEST_F(ServicePushTest, WrappedDeliveriesReachTheBackendOnceWithBasicAuth) {
  ExpectDeliveredOnce(Wrapper::kWrapped, /*ids_known=*/true);
}

TEST_F(ServicePushTest, UnwrappedDeliveriesWithMetadataReachTheBackendOnceWithBasicAuth) {
  ExpectDeliveredOnce(Wrapper::kUnwrappedWithMetadata, /*ids_known=*/true);
}

TEST_F(ServicePushTest, UnwrappedDeliveriesWithoutMetadataReachTheBackendWithAMadeUpId) {
  ExpectDeliveredOnce(Wrapper::kUnwrapped, /*ids_known=*/false);
}

// A 503 from the backend answers the push 503; Pub/Sub delivers the message again after its backoff, and
// once the backend is back it is delivered and acked.
TEST_F(ServicePushTest, BackendUnavailableAnswersThePushNon2xxAndPubsubRedelivers) {
  ASSERT_NO_FATAL_FAILURE(StartPush(Wrapper::kWrapped, {"--status-for-path=/flaky=503"}));
  const std::vector<std::string> ids = Publish(Numbered("flaky", 1, {{"path", "/flaky"}}));
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_push_requests_total").value_or(0) >= 2; }, kDeliveryTimeout))
      << "Pub/Sub did not push the message a second time";
  EXPECT_GE(MetricSum("schedsvc_messages_nacked_total").value_or(0), 2);
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(R"({"status_for_path":{}})"));
  ASSERT_TRUE(WaitAllSucceeded(ids, kDeliveryTimeout));
  absl::SleepFor(kQuietPeriod);
  int failed = 0;
  int succeeded = 0;
  for (const BackendCall& c : Calls()) {
    EXPECT_EQ(c.message_id, ids[0]);
    failed += c.status == 503 ? 1 : 0;
    succeeded += c.status == kHttpOk ? 1 : 0;
  }
  EXPECT_GE(failed, 2);
  EXPECT_EQ(succeeded, 1);
  EXPECT_TRUE(DeadLetters(1, absl::Seconds(2)).empty());
  EXPECT_EQ(StopService(15), 0);
  ASSERT_NO_FATAL_FAILURE(MakePull());
  EXPECT_TRUE(PullAllExceptSentinel().empty());
}

// A 400 is dead-lettered with its reason after exactly one attempt, and the push is answered 2xx: Pub/Sub
// does not deliver it again.
TEST_F(ServicePushTest, BackendBadRequestIsDeadLetteredAfterOneAttemptAndAcked) {
  ASSERT_NO_FATAL_FAILURE(StartPush(Wrapper::kWrapped, {"--status-for-path=/bad=400"}));
  const std::vector<std::string> ids = Publish(Numbered("bad", 2, {{"path", "/bad"}}));
  ASSERT_EQ(ids.size(), 2u);
  auto dead = DeadLetters(ids.size(), kDeliveryTimeout);
  ASSERT_EQ(dead.size(), ids.size());
  for (const std::string& id : ids) {
    ASSERT_TRUE(dead.count(id)) << id << " not dead-lettered";
    auto& a = dead[id];
    EXPECT_EQ(a["schedsvc.reason"], "http_4xx");
    EXPECT_EQ(a["schedsvc.http_status"], "400");
    EXPECT_EQ(a["schedsvc.attempts"], "1");
    EXPECT_EQ(a["schedsvc.source_subscription"], subscription_);
  }
  absl::SleepFor(kQuietPeriod);
  const auto per_id = CallsPerId();
  for (const std::string& id : ids) EXPECT_EQ(per_id.count(id) ? per_id.at(id) : 0, 1) << id;
  EXPECT_EQ(MetricSum("schedsvc_messages_acked_total").value_or(-1), 2);
  EXPECT_EQ(StopService(15), 0);
  ASSERT_NO_FATAL_FAILURE(MakePull());
  EXPECT_TRUE(PullAllExceptSentinel().empty());
}

// SIGTERM while a push request waits for a slow backend: the call finishes within shutdown_grace, the
// push is answered 2xx, and Pub/Sub does not deliver the message again.
TEST_F(ServicePushTest, ShutdownLetsAnInFlightPushRequestFinish) {
  constexpr char kLatency[] = "2s";
  ASSERT_NO_FATAL_FAILURE(StartPush(Wrapper::kWrapped));
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(absl::StrCat(R"({"latency":")", kLatency, R"("})")));
  const std::vector<std::string> ids = Publish(Numbered("slow", 1, {{"path", "/jobs/run"}}));
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_messages_in_flight").value_or(0) >= 1; }, kDeliveryTimeout));
  EXPECT_EQ(StopService(15), 0);
  const auto per_id = CallsPerId();
  ASSERT_EQ(per_id.count(ids[0]), 1u);
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(R"({"latency":"0s"})"));
  // A service listens again: a message whose push was not answered 2xx would be pushed to it.
  ASSERT_NO_FATAL_FAILURE(StartService());
  absl::SleepFor(kQuietPeriod);
  EXPECT_EQ(CallsPerId()[ids[0]], 1) << "redelivered: the in-flight push was not answered 2xx";
  EXPECT_EQ(Successes()[ids[0]], 1);
  EXPECT_EQ(StopService(15), 0);
  ASSERT_NO_FATAL_FAILURE(MakePull());
  EXPECT_TRUE(PullAllExceptSentinel().empty());
}

// A request that is no Pub/Sub push message is answered 400 and never reaches the backend; the service
// stays ready.
TEST_F(ServicePushTest, RequestThatIsNeitherFormatIsAnswered400) {
  ASSERT_NO_FATAL_FAILURE(StartPush(Wrapper::kWrapped));
  httplib::Client c("127.0.0.1", push_port_);
  c.set_read_timeout(10);
  auto r = c.Post(kPushPath, R"({"message":{"data":"###"},"subscription":"x"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(ReadyStatus(), kHttpOk);
  EXPECT_EQ(MetricSum("schedsvc_push_requests_total").value_or(-1), 1);
  // push.auth: none is told at start.
  ASSERT_FALSE(service_logs_.empty());
  EXPECT_TRUE(WaitFor([&] { return testing::ReadFileOrEmpty(service_logs_[0]).find("push.auth is none") !=
                                   std::string::npos; },
                      absl::Seconds(5)));
}

// push.auth.oidc through the real binary: tokens are checked against the JWKS file before anything is
// dispatched. Missing → 401, a token failing a check → 403, neither reaches the backend; a valid one is
// delivered with the backend's own Basic auth. (The emulator sends no token, so the test POSTs the
// envelope itself with tokens it signs.)
TEST_F(ServicePushTest, OidcTokensAreVerifiedBeforeAnythingReachesTheBackend) {
  constexpr char kAudience[] = "https://schedule-service.example/pubsub/push";
  constexpr char kPusher[] = "pubsub-push@local-project.iam.gserviceaccount.com";
  auto key = testing::RsaTestKey::Generate("push-key");
  auto impostor = testing::RsaTestKey::Generate("push-key");  // same kid, another key
  ASSERT_TRUE(key.ok() && impostor.ok());
  WriteFile(dir_ + "/jwks.json", testing::JwksJson({&*key}));
  ASSERT_NO_FATAL_FAILURE(StartPush(Wrapper::kWrapped, {},
                                    absl::StrCat("  auth:\n    oidc:\n      audience: ", kAudience,
                                                 "\n      service_accounts: [", kPusher, "]\n      jwks_file: ",
                                                 dir_, "/jwks.json\n"),
                                    /*subscribe=*/false));
  std::vector<std::string> sent_tokens;
  const auto post = [&](const std::string& id, const std::string& authorization) {
    sent_tokens.push_back(authorization);
    const nlohmann::json envelope = {
        {"message",
         {{"data", absl::Base64Escape("{}")}, {"messageId", id}, {"attributes", {{"path", "/jobs/run"}}}}},
        {"subscription", subscription_}};
    httplib::Client c("127.0.0.1", push_port_);
    c.set_read_timeout(15);
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    auto r = c.Post(kPushPath, headers, envelope.dump(), "application/json");
    return r ? r->status : -1;
  };
  const absl::Time now = absl::Now();
  const nlohmann::json header = testing::Rs256Header("push-key");
  const nlohmann::json good = testing::PushTokenClaims(kAudience, kPusher, now);
  nlohmann::json other_audience = good;
  other_audience["aud"] = "https://elsewhere.example/";
  nlohmann::json unsigned_header = header;
  unsigned_header["alg"] = "none";

  EXPECT_EQ(post("no-token", ""), 401);
  EXPECT_EQ(post("basic", absl::StrCat("Basic ", absl::Base64Escape("a:b"))), 401);
  EXPECT_EQ(post("impostor", "Bearer " + impostor->Sign(header, good)), 403);
  EXPECT_EQ(post("audience", "Bearer " + key->Sign(header, other_audience)), 403);
  EXPECT_EQ(post("expired", "Bearer " + key->Sign(header, testing::PushTokenClaims(kAudience, kPusher,
                                                                                   now - absl::Hours(3)))),
            403);
  EXPECT_EQ(post("stranger", "Bearer " + key->Sign(header, testing::PushTokenClaims(
                                                             kAudience, "someone@else.example", now))),
            403);
  EXPECT_EQ(post("alg-none", "Bearer " + testing::UnsignedToken(unsigned_header, good)), 403);
  EXPECT_TRUE(Calls().empty()) << "a refused push reached the backend";

  EXPECT_EQ(post("valid", "Bearer " + key->Sign(header, good)) / 100, 2);
  ASSERT_TRUE(WaitFor([&] { return CallsPerId().count("valid") == 1; }, absl::Seconds(10)));
  EXPECT_EQ(CallsPerId().size(), 1u);
  EXPECT_EQ(Calls()[0].status, kHttpOk) << "the backend's own Basic auth was not sent";
  EXPECT_EQ(MetricSum("schedsvc_push_requests_total").value_or(-1), 8);
  EXPECT_EQ(StopService(15), 0);
  // Refusals are logged, never with the token: no token's last 16 characters (its signature) appear.
  const std::string log = testing::ReadFileOrEmpty(service_logs_[0]);
  EXPECT_NE(log.find("403"), std::string::npos) << "refusals are not logged";
  for (const std::string& t : sent_tokens) {
    if (t.size() > 16) {
      EXPECT_EQ(log.find(t.substr(t.size() - 16)), std::string::npos) << "token in the log";
    }
  }
}

}  // namespace
}  // namespace schedsvc::service_it
