#include "src/service/message_dispatcher.h"

#include <sstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "src/dispatch/permanent_reason.h"
#include "src/metrics/service_metrics.h"
#include "testing/fake_executor.h"
#include "testing/fake_http_client.h"

namespace schedsvc::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSubscription[] = "projects/p/subscriptions/s";

// Records how each message was settled.
class RecordingAcks : public pubsub::internal::AckHandleImpl {
 public:
  void Ack(const std::string& ack_id) override { events.push_back(ack_id + ":ack"); }
  void Nack(const std::string& ack_id, absl::Duration delay) override {
    events.push_back(ack_id + ":nack:" + absl::FormatDuration(delay));
  }
  std::vector<std::string> events;
};

// Holds dead-letter publishes until the test completes them.
class FakeDeadLetters : public DeadLetterSink {
 public:
  struct Letter {
    std::string message_id;
    std::string data;
    DeadLetterInfo info;
    std::function<void(absl::Status)> done;
  };
  void Publish(const std::string& message_id, const std::string& data, const std::map<std::string, std::string>&,
               const DeadLetterInfo& info, std::function<void(absl::Status)> done) override {
    letters.push_back({message_id, data, info, std::move(done)});
  }
  std::vector<Letter> letters;
};

config::ServiceConfig Config() {
  config::ServiceConfig c;
  c.subscription = kSubscription;
  c.default_backend = "orders";
  c.dead_letter_topic = "projects/p/topics/dlq";
  config::BackendConfig b;
  b.name = "orders";
  b.url = "http://127.0.0.1:9";
  b.timeout = absl::Seconds(10);
  b.retry.max_attempts = 3;
  b.retry.initial_backoff = absl::Seconds(1);
  b.retry.max_backoff = absl::Seconds(4);
  b.circuit_breaker.minimum_requests = 4;
  b.circuit_breaker.failure_rate_threshold = 0.5;
  b.circuit_breaker.open_duration = absl::Seconds(10);
  b.circuit_breaker.max_hold = absl::Seconds(30);
  c.backends.push_back(b);
  return c;
}

class MessageDispatcherTest : public ::testing::Test {
 protected:
  void Make(config::ServiceConfig config, bool with_dead_letters = true) {
    config_ = std::move(config);
    dispatcher_ = std::make_unique<MessageDispatcher>(config_, http_, with_dead_letters ? &dead_letters_ : nullptr,
                                                      executor_, clock_, metrics_, log_);
  }
  void Send(const std::string& id, std::map<std::string, std::string> attributes = {}, std::string data = "{}") {
    pubsub::Message m;
    m.message_id = "m-" + id;
    m.data = std::move(data);
    m.attributes = std::move(attributes);
    m.publish_time = clock_.Now();
    m.receive_time = clock_.Now();
    dispatcher_->Dispatch(std::move(m), pubsub::AckHandle(acks_, id));
  }
  std::string Scrape() { return prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()); }

  testing::FakeClock clock_;
  testing::FakeExecutor executor_{clock_};
  testing::FakeHttpClient http_;
  FakeDeadLetters dead_letters_;
  std::shared_ptr<RecordingAcks> acks_ = std::make_shared<RecordingAcks>();
  metrics::ServiceMetrics metrics_{kSubscription, {"orders"}};
  std::ostringstream log_text_;
  JsonLogger log_{log_text_, clock_};
  config::ServiceConfig config_;
  std::unique_ptr<MessageDispatcher> dispatcher_;
};

// The pre-created dead-letter series (metrics::kDeadLetterReasons) must cover every permanent reason the
// dispatcher can dead-letter with.
TEST(DeadLetterReasonsTest, EveryPermanentReasonHasAPreCreatedSeries) {
  for (dispatch::PermanentReason reason : dispatch::kAllPermanentReasons) {
    EXPECT_THAT(metrics::kDeadLetterReasons, ::testing::Contains(dispatch::PermanentReasonName(reason)))
        << "add " << dispatch::PermanentReasonName(reason) << " to kDeadLetterReasons (and docs/metrics.md)";
  }
}

TEST_F(MessageDispatcherTest, SuccessAcksOnceAfterTheCall) {
  Make(Config());
  Send("1", {{"path", "/jobs/run"}});
  ASSERT_EQ(http_.request_count(), 1u);
  auto request = http_.requests()[0];
  EXPECT_EQ(request.url, "http://127.0.0.1:9/jobs/run");
  EXPECT_EQ(dispatch::FindHeader(request.headers, "Idempotency-Key").value_or(""), "m-1");
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_EQ(dispatcher_->in_flight(), 0);
  EXPECT_THAT(log_text_.str(), HasSubstr("\"outcome\":\"delivered\""));
}

TEST_F(MessageDispatcherTest, RetryableFailuresAreRetriedInsideThePodThenAcked) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(503));
  http_.Script(absl::UnavailableError("connection refused"));
  Send("1");
  EXPECT_THAT(acks_->events, IsEmpty());
  executor_.AdvanceTime(absl::Seconds(10));
  EXPECT_EQ(http_.request_count(), 3u);
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_retries_total{backend=\"orders\"} 2"));
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
}

TEST_F(MessageDispatcherTest, SpentRetriesNackWithDelayInsteadOfDeadLettering) {
  Make(Config());
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  Send("1");
  executor_.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(http_.request_count(), 3u);
  ASSERT_EQ(acks_->events.size(), 1u);
  EXPECT_THAT(acks_->events[0], HasSubstr("1:nack:"));
  EXPECT_NE(acks_->events[0], "1:nack:0");  // a delayed nack, not an immediate one
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
  EXPECT_THAT(Scrape(), HasSubstr("reason=\"retry_budget_spent\"} 1"));
}

TEST_F(MessageDispatcherTest, PermanentFailureIsDeadLetteredAfterOneAttemptAndAckedOnlyWhenPublished) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(400));
  Send("1", {{"path", "/bad"}}, "payload");
  EXPECT_EQ(http_.request_count(), 1u);
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  const auto& letter = dead_letters_.letters[0];
  EXPECT_EQ(letter.message_id, "m-1");
  EXPECT_EQ(letter.data, "payload");
  EXPECT_EQ(letter.info.reason, "http_4xx");
  EXPECT_EQ(letter.info.http_status, 400);
  EXPECT_EQ(letter.info.attempts, 1);
  EXPECT_THAT(acks_->events, IsEmpty());  // not before the dead letter is safe
  letter.done(absl::OkStatus());
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_dead_lettered_total{backend=\"orders\",reason=\"http_4xx\"} 1"));
}

TEST_F(MessageDispatcherTest, FailedDeadLetterPublishNacksSoNothingIsLost) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(404));
  Send("1");
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  dead_letters_.letters[0].done(absl::UnavailableError("pubsub down"));
  ASSERT_EQ(acks_->events.size(), 1u);
  EXPECT_EQ(acks_->events[0], "1:nack:1m");
}

TEST_F(MessageDispatcherTest, MalformedMessagesAreDeadLetteredWithAReasonWithoutACall) {
  Make(Config());
  Send("1", {{"backend", "nope"}});
  Send("2", {{"path", "/a/../b"}});
  Send("3", {{"method", "TRACE"}});
  EXPECT_EQ(http_.request_count(), 0u);
  ASSERT_EQ(dead_letters_.letters.size(), 3u);
  EXPECT_EQ(dead_letters_.letters[0].info.reason, "unknown_backend");
  EXPECT_EQ(dead_letters_.letters[1].info.reason, "invalid_path");
  EXPECT_EQ(dead_letters_.letters[2].info.reason, "invalid_method");
  for (auto& l : dead_letters_.letters) l.done(absl::OkStatus());
  EXPECT_THAT(acks_->events, ElementsAre("1:ack", "2:ack", "3:ack"));
  // An unconfigured backend name never becomes a metric label.
  EXPECT_THAT(Scrape(), ::testing::Not(HasSubstr("nope")));
}

TEST_F(MessageDispatcherTest, WithoutADeadLetterTopicPermanentFailuresAreNackedWithTheLongestDelay) {
  auto config = Config();
  config.dead_letter_topic.clear();
  Make(config, /*with_dead_letters=*/false);
  http_.Script(testing::FakeHttpClient::Response(400));
  Send("1");
  EXPECT_THAT(acks_->events, ElementsAre("1:nack:10m"));
}

TEST_F(MessageDispatcherTest, OpenCircuitHoldsMessagesThenNacksAfterMaxHoldNeverDeadLetters) {
  Make(Config());
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  auto config = Config();
  // Four failing messages open the circuit (minimum_requests 4, rate 100 %).
  for (int i = 0; i < 4; ++i) Send("f" + std::to_string(i));
  const std::size_t calls_when_opened = http_.request_count();
  Send("held");
  EXPECT_EQ(http_.request_count(), calls_when_opened);  // no call while open
  dispatcher_->UpdateMetrics();
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_circuit_state{backend=\"orders\"} 2"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_held{backend=\"orders\"} 1"));
  // The backend stays down: probes fail, and within max_hold (plus one backoff) the held message goes
  // back with a delay.
  executor_.AdvanceTime(absl::Seconds(36));
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
  bool held_nacked = false;
  for (const auto& e : acks_->events) held_nacked |= absl::StartsWith(e, "held:nack:") && e != "held:nack:0";
  EXPECT_TRUE(held_nacked) << ::testing::PrintToString(acks_->events) << log_text_.str();
  EXPECT_THAT(Scrape(), HasSubstr("reason=\"circuit_open\""));
}

TEST_F(MessageDispatcherTest, HeldMessageIsDeliveredWhenTheCircuitClosesAgain) {
  Make(Config());
  http_.ScriptRepeated(testing::FakeHttpClient::Response(503), 4);
  for (int i = 0; i < 4; ++i) Send("f" + std::to_string(i));
  Send("held");
  http_.SetDefault(testing::FakeHttpClient::Response(200));
  executor_.AdvanceTime(absl::Seconds(11));  // open_duration passes; a probe succeeds
  bool held_acked = false;
  for (const auto& e : acks_->events) held_acked |= e == "held:ack";
  EXPECT_TRUE(held_acked) << ::testing::PrintToString(acks_->events);
}

TEST_F(MessageDispatcherTest, OnReceiptAcksFirstAndDeadLettersAFinalFailure) {
  auto config = Config();
  config.ack_mode = config::AckMode::kOnReceipt;
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  Send("1");
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  executor_.AdvanceTime(absl::Seconds(30));
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  EXPECT_EQ(dead_letters_.letters[0].info.reason, "retries_exhausted");
  EXPECT_EQ(dead_letters_.letters[0].info.attempts, 3);
  dead_letters_.letters[0].done(absl::OkStatus());
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_EQ(dispatcher_->in_flight(), 0);
}

TEST_F(MessageDispatcherTest, ShutdownNacksMessagesWaitingForARetryAtOnce) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(503));
  Send("1");
  EXPECT_THAT(acks_->events, IsEmpty());
  dispatcher_->BeginShutdown();
  EXPECT_THAT(acks_->events, ElementsAre("1:nack:0"));
  EXPECT_TRUE(dispatcher_->WaitIdle(absl::ZeroDuration()));
  executor_.AdvanceTime(absl::Seconds(10));
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(MessageDispatcherTest, AttemptInFlightAtShutdownIsNackedInsteadOfRetried) {
  Make(Config());
  http_.set_deliver_immediately(false);
  http_.Script(testing::FakeHttpClient::Response(503));
  Send("1");
  dispatcher_->BeginShutdown();
  EXPECT_EQ(dispatcher_->in_flight(), 1);
  http_.DeliverAll();
  EXPECT_THAT(acks_->events, ElementsAre("1:nack:0"));
  EXPECT_EQ(dispatcher_->in_flight(), 0);
}

TEST_F(MessageDispatcherTest, AttemptTimeoutIsClippedToTheMessageBudget) {
  auto config = Config();
  config.lease_max_extension = absl::Seconds(4);
  Make(config);
  Send("1");
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.requests()[0].timeout, absl::Seconds(4));
}

}  // namespace
}  // namespace schedsvc::service
