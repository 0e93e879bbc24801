// schedule-service end to end against the official emulator and the demo backend: bulk exactly-once
// delivery with Basic auth, retryable 503s, permanent 400s dead-lettered after one attempt, malformed
// messages dead-lettered with a reason, and both kinds of outcome listed on the admin port's
// /debug/deliveries. The fixture checks every service log for the password in TearDown.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "integration_tests/service_fixture.h"

namespace schedsvc::service_it {
namespace {

// a. 2,000 messages: each reaches the backend exactly once, authenticated, and is acked.
TEST_F(ServiceIntegrationTest, BulkDeliveredOnceWithAuthAndAcked) {
  RunOptions o;
  o.streams = 4;
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  const std::vector<std::string> ids = Publish(Numbered("bulk", 2000, {{"path", "/jobs/run"}}));
  ASSERT_EQ(ids.size(), 2000u);
  ASSERT_TRUE(WaitAllSucceeded(ids, absl::Seconds(90)));
  // Wait until every message is counted as acked, then stop: nothing may come back.
  ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_messages_acked_total").value_or(0) >= 2000; },
                      absl::Seconds(30)));
  EXPECT_EQ(StopService(15), 0);  // exit status 0 after SIGTERM

  const std::vector<BackendCall> calls = Calls();
  std::map<std::string, int> per_id;
  for (const BackendCall& c : calls) {
    EXPECT_EQ(c.status, 200) << "unexpected status (401 = bad auth) for " << c.message_id;
    EXPECT_EQ(c.method, "POST");
    EXPECT_EQ(c.path, "/jobs/run");
    ++per_id[c.message_id];
  }
  EXPECT_EQ(per_id.size(), 2000u);
  for (const std::string& id : ids) EXPECT_EQ(per_id[id], 1) << id;

  // Past the ack deadline: an unacked message would be deliverable again.
  absl::SleepFor(absl::Seconds(o.ack_deadline_seconds + 1));
  EXPECT_TRUE(PullAllExceptSentinel().empty());
  EXPECT_TRUE(DeadLetters(1, absl::Seconds(2)).empty());
}

// b. 30 % of calls answered 503: every message still succeeds, nothing is dead-lettered.
TEST_F(ServiceIntegrationTest, TransientFailuresRetriedNotDeadLettered) {
  RunOptions o;
  o.max_attempts = 10;
  o.initial_backoff = "50ms";
  o.max_backoff = "200ms";
  o.backend_flags = {"--fail-rate=0.3", "--fail-status=503"};
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  const std::vector<std::string> ids = Publish(Numbered("flaky", 500));
  ASSERT_EQ(ids.size(), 500u);
  ASSERT_TRUE(WaitAllSucceeded(ids, absl::Seconds(90)));
  int failures = 0;
  for (const BackendCall& c : Calls()) failures += c.status == 503 ? 1 : 0;
  EXPECT_GT(failures, 50) << "the backend did not fail enough calls for the test to mean anything";
  EXPECT_GT(MetricSum("schedsvc_retries_total").value_or(0), 50);
  EXPECT_TRUE(DeadLetters(1, absl::Seconds(3)).empty());
  EXPECT_EQ(MetricSum("schedsvc_messages_dead_lettered_total").value_or(-1), 0);
}

// c. 400 on some paths: those are dead-lettered after exactly one attempt with reason attributes; the
// others are delivered.
TEST_F(ServiceIntegrationTest, PermanentFailuresDeadLetteredAfterOneAttempt) {
  RunOptions o;
  o.backend_flags = {"--status-for-path=/bad=400"};
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  const std::vector<std::string> bad = Publish(Numbered("bad", 20, {{"path", "/bad"}}));
  const std::vector<std::string> good = Publish(Numbered("good", 80, {{"path", "/good"}}));
  ASSERT_EQ(bad.size(), 20u);
  ASSERT_EQ(good.size(), 80u);
  ASSERT_TRUE(WaitAllSucceeded(good, absl::Seconds(60)));

  auto dead = DeadLetters(bad.size(), absl::Seconds(60));
  ASSERT_EQ(dead.size(), bad.size());
  for (const std::string& id : bad) {
    ASSERT_TRUE(dead.count(id)) << id << " not dead-lettered";
    auto& a = dead[id];
    EXPECT_EQ(a["schedsvc.reason"], "http_4xx");
    EXPECT_EQ(a["schedsvc.http_status"], "400");
    EXPECT_EQ(a["schedsvc.attempts"], "1");
    EXPECT_EQ(a["schedsvc.source_subscription"], subscription_);
    EXPECT_EQ(a["schedsvc.message_id"], id);
  }
  std::map<std::string, int> attempts;
  for (const BackendCall& c : Calls()) ++attempts[c.message_id];
  for (const std::string& id : bad) EXPECT_EQ(attempts[id], 1) << id;
  // Dead-lettered then acked: nothing comes back.
  ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_messages_acked_total").value_or(0) >= 80; },
                      absl::Seconds(20)));
  EXPECT_EQ(StopService(15), 0);
  absl::SleepFor(absl::Seconds(o.ack_deadline_seconds + 1));
  EXPECT_TRUE(PullAllExceptSentinel().empty());
}

// h. Malformed messages never reach the backend: each is dead-lettered with its reason, and the service
// stays ready.
TEST_F(ServiceIntegrationTest, MalformedMessagesDeadLetteredWithReason) {
  RunOptions o;
  o.max_body_bytes = 1024;
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  struct Case {
    pubsub::OutgoingMessage message;
    std::string reason;
  };
  std::vector<Case> cases = {
      {{"{}", {{"backend", "nope"}}, ""}, "unknown_backend"},
      {{"{}", {{"path", "/a/../admin"}}, ""}, "invalid_path"},
      {{"{}", {{"path", "/a/%2e%2e/admin"}}, ""}, "invalid_path"},
      {{"{}", {{"method", "TRACE"}}, ""}, "invalid_method"},
      {{std::string(4096, 'x'), {}, ""}, "body_too_large"},
  };
  std::vector<pubsub::OutgoingMessage> messages;
  for (const Case& c : cases) messages.push_back(c.message);
  const std::vector<std::string> ids = Publish(messages);
  ASSERT_EQ(ids.size(), cases.size());
  const std::vector<std::string> good = Publish(Numbered("fine", 10));

  auto dead = DeadLetters(cases.size(), absl::Seconds(60));
  ASSERT_EQ(dead.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(dead[ids[i]]["schedsvc.reason"], cases[i].reason) << "case " << i;
    EXPECT_EQ(dead[ids[i]]["schedsvc.source_subscription"], subscription_);
  }
  ASSERT_TRUE(WaitAllSucceeded(good, absl::Seconds(30)));
  std::set<std::string> malformed(ids.begin(), ids.end());
  for (const BackendCall& c : Calls()) EXPECT_FALSE(malformed.count(c.message_id)) << c.path;
  EXPECT_EQ(ReadyStatus(), 200);
  EXPECT_GE(MetricSum("schedsvc_messages_dead_lettered_total").value_or(0), 5);
}

// The admin port's /debug/deliveries lists a delivered message and a dead-lettered one (invalid path) with
// their outcome, status and reason, and never a body, a credential-like attribute's value or a credential
// inside a value.
TEST_F(ServiceIntegrationTest, RecentDeliveriesListDeliveredAndDeadLetteredWithoutBodiesOrSecrets) {
  constexpr char kBodyMarker[] = "body-Vn4qP7sW";
  constexpr char kTokenValue[] = "tok-Hx3mB8rL";
  constexpr absl::Duration kListedWithin = absl::Seconds(30);
  ASSERT_NO_FATAL_FAILURE(StartAll(RunOptions{}));
  const std::string body = absl::StrCat("{\"secret\":\"", kBodyMarker, "\"}");
  const std::string hook = absl::StrCat("https://user:", kTokenValue, "@hooks.example/x?sig=", kTokenValue, "&n=1");
  const auto good = Publish(
      {pubsub::OutgoingMessage{body, {{"path", "/jobs/ring"}, {"api_token", kTokenValue}, {"hook", hook}}, ""}});
  const auto bad = Publish({pubsub::OutgoingMessage{body, {{"path", "/a/../admin"}}, ""}});
  ASSERT_EQ(good.size(), 1u);
  ASSERT_EQ(bad.size(), 1u);
  ASSERT_TRUE(WaitAllSucceeded(good, kListedWithin));
  auto dead = DeadLetters(1, kListedWithin);
  ASSERT_EQ(dead.count(bad[0]), 1u);

  // Polled: a record is added once the outcome is decided (for the dead letter: once its publish is
  // confirmed), a moment after the backend's answer or the dead letter is visible.
  httplib::Client admin("127.0.0.1", admin_port_);
  admin.set_read_timeout(5);
  std::string text;
  nlohmann::json delivered, dead_lettered;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = admin.Get("/debug/deliveries");
        if (!r || r->status != 200) return false;
        text = r->body;
        const nlohmann::json listed = nlohmann::json::parse(text);
        for (const auto& d : listed["deliveries"]) {
          if (d["messageId"] == good[0]) delivered = d;
          if (d["messageId"] == bad[0]) dead_lettered = d;
        }
        return !delivered.is_null() && !dead_lettered.is_null();
      },
      kListedWithin))
      << text;
  EXPECT_EQ(delivered["outcome"], "delivered");
  EXPECT_EQ(delivered["httpStatus"], 200);
  EXPECT_EQ(delivered["attempts"], 1);
  EXPECT_EQ(delivered["backend"], "demo");
  EXPECT_EQ(delivered["attributes"]["path"], "/jobs/ring");
  EXPECT_EQ(delivered["attributes"]["hook"], "https://***@hooks.example/x?sig=<redacted>&n=1");
  EXPECT_EQ(delivered["reason"], "");
  EXPECT_FALSE(delivered["publishTime"].get<std::string>().empty());
  EXPECT_EQ(dead_lettered["outcome"], "dead_lettered");
  EXPECT_EQ(dead_lettered["httpStatus"], 0);
  EXPECT_EQ(dead_lettered["reasonCode"], "invalid_path");
  EXPECT_EQ(dead_lettered["reason"], dead[bad[0]]["schedsvc.error"]);
  EXPECT_FALSE(dead_lettered["reason"].get<std::string>().empty());
  // Never the body, never a credential.
  EXPECT_EQ(text.find(kBodyMarker), std::string::npos) << text;
  EXPECT_EQ(text.find(kTokenValue), std::string::npos) << text;
  EXPECT_EQ(text.find(kPassword), std::string::npos) << text;

  // Filtered by outcome over HTTP.
  auto only_dead = admin.Get("/debug/deliveries?outcome=dead_lettered&backend=demo");
  ASSERT_TRUE(only_dead);
  ASSERT_EQ(only_dead->status, 200);
  const nlohmann::json listed = nlohmann::json::parse(only_dead->body)["deliveries"];
  ASSERT_EQ(listed.size(), 1u) << only_dead->body;
  EXPECT_EQ(listed[0]["messageId"], bad[0]);
  auto bad_query = admin.Get("/debug/deliveries?limit=0");
  ASSERT_TRUE(bad_query);
  EXPECT_EQ(bad_query->status, 400);
}

}  // namespace
}  // namespace schedsvc::service_it
