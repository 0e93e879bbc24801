#include "src/dispatch/message_dispatcher.h"

#include <sstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "src/dispatch/permanent_reason.h"
#include "src/metrics/service_metrics.h"
#include "testing/fake_executor.h"
#include "testing/fake_http_client.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSubscription[] = "projects/p/subscriptions/s";
// Room for every delivery a test makes.
constexpr std::size_t kRecentCapacity = 64;

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
    dispatcher_.reset();  // before its config changes
    config_ = std::move(config);
    dispatcher_ = std::make_unique<MessageDispatcher>(config_, http_, with_dead_letters ? &dead_letters_ : nullptr,
                                                      executor_, clock_, wall_, metrics_, log_, &recent_);
  }
  void Send(const std::string& id, std::map<std::string, std::string> attributes = {}, std::string data = "{}",
            int delivery_attempt = 0) {
    pubsub::Message m;
    m.delivery_attempt = delivery_attempt;
    m.message_id = "m-" + id;
    m.data = std::move(data);
    m.attributes = std::move(attributes);
    m.publish_time = wall_.Now();
    m.receive_time = clock_.Now();
    dispatcher_->Dispatch(std::move(m), pubsub::AckHandle(acks_, id));
  }
  // The one delivery recorded so far, into `record`; a fatal failure unless there is exactly one (call it
  // inside ASSERT_NO_FATAL_FAILURE).
  void OnlyRecord(DeliveryRecord& record) {
    auto records = recent_.Snapshot();
    ASSERT_EQ(records.size(), 1u);
    record = records[0];
  }
  // Completes the one dead-letter publish made so far with `publish_status`, then OnlyRecord.
  void OnlyRecordOncePublished(absl::Status publish_status, DeliveryRecord& record) {
    ASSERT_EQ(dead_letters_.letters.size(), 1u);
    dead_letters_.letters[0].done(std::move(publish_status));
    OnlyRecord(record);
  }
  std::string Scrape() { return prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()); }
  // Log lines that contain `text`.
  std::vector<nlohmann::json> LogLinesWith(absl::string_view text) const {
    std::vector<nlohmann::json> lines;
    std::istringstream in(log_text_.str());
    for (std::string line; std::getline(in, line);) {
      if (absl::StrContains(line, text)) lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
  }

  // The steady clock (the executor's timers run on it) and the wall clock, apart so a test can step one.
  testing::FakeClock clock_;
  testing::FakeClock wall_;
  testing::FakeExecutor executor_{clock_};
  testing::FakeHttpClient http_;
  FakeDeadLetters dead_letters_;
  std::shared_ptr<RecordingAcks> acks_ = std::make_shared<RecordingAcks>();
  metrics::ServiceMetrics metrics_{kSubscription, {"orders"}};
  std::ostringstream log_text_;
  JsonLogger log_{log_text_, wall_};
  config::ServiceConfig config_;
  // Every test's dispatcher records its settled deliveries here.
  RecentDeliveries recent_{kRecentCapacity};
  std::unique_ptr<MessageDispatcher> dispatcher_;
};

// The pre-created dead-letter series (metrics::kDeadLetterReasons) must cover every permanent reason the
// dispatcher can dead-letter with.
TEST(DeadLetterReasonsTest, EveryPermanentReasonHasAPreCreatedSeries) {
  for (PermanentReason reason : kAllPermanentReasons) {
    EXPECT_THAT(metrics::kDeadLetterReasons, ::testing::Contains(PermanentReasonName(reason)))
        << "add " << PermanentReasonName(reason) << " to kDeadLetterReasons (and docs/metrics.md)";
  }
}

TEST_F(MessageDispatcherTest, SuccessAcksOnceAfterTheCall) {
  Make(Config());
  Send("1", {{"path", "/jobs/run"}});
  ASSERT_EQ(http_.request_count(), 1u);
  auto request = http_.requests()[0];
  EXPECT_EQ(request.url, "http://127.0.0.1:9/jobs/run");
  EXPECT_EQ(FindHeader(request.headers, "Idempotency-Key").value_or(""), "m-1");
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
  // The attempt cap hands it back with the redelivery delay of its (unknown = first) delivery attempt.
  EXPECT_THAT(acks_->events, ElementsAre("1:nack:1m"));
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

TEST_F(MessageDispatcherTest, DeadLetterErrorIsTheStatusMessageWithoutCodeOrPayloads) {
  Make(Config());
  // The path is attacker-chosen text; the builder's error message names it and carries a payload
  // (the permanent reason), which Status::ToString() would print along with the code name.
  const std::map<std::string, std::string> kAttributes = {{"path", "/a/../evil"}};
  pubsub::Message message;
  message.message_id = "m-1";
  message.data = "{}";
  message.attributes = kAttributes;
  const BackendRouter backends(config_, clock_);
  absl::StatusOr<Backend*> backend = backends.Route(message);
  ASSERT_TRUE(backend.ok()) << backend.status();
  const absl::Status expected = (*backend)->BuildRequest(message, 1).status();
  ASSERT_FALSE(expected.ok());
  Send("1", kAttributes);
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  EXPECT_EQ(dead_letters_.letters[0].info.error, expected.message());
  EXPECT_NE(dead_letters_.letters[0].info.error, expected.ToString());
}

TEST_F(MessageDispatcherTest, FinalInformationalAnswerIsCountedAs1xxAndRetriedNeverDeadLettered) {
  constexpr int kSwitchingProtocols = 101;
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(kSwitchingProtocols));
  http_.Script(testing::FakeHttpClient::Response(200));
  Send("1");
  executor_.AdvanceTime(Config().backends[0].retry.max_backoff);
  EXPECT_EQ(http_.request_count(), 2u);
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_backend_requests_total{backend=\"orders\",code_class=\"1xx\"} 1"));
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
  EXPECT_THAT(acks_->events, ::testing::Contains("held:nack:1m"))
      << ::testing::PrintToString(acks_->events) << log_text_.str();
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
  constexpr absl::Duration kMaxExtension = absl::Seconds(4);
  constexpr absl::Duration kMargin = absl::Seconds(1);  // clamp(4 s / 4, 1 s, 5 s)
  auto config = Config();
  config.lease_max_extension = kMaxExtension;
  Make(config);
  Send("1");
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.requests()[0].timeout, kMaxExtension - kMargin);
}

// The service's own defaults for the policy under test (no attempt limit, hold for the budget, the
// consecutive-failure rule), with the test backend's short backoffs.
config::ServiceConfig DefaultPolicyConfig() {
  config::ServiceConfig c = Config();
  config::BackendConfig& b = c.backends[0];
  const config::BackendConfig defaults;
  b.retry.max_attempts = defaults.retry.max_attempts;
  b.circuit_breaker = defaults.circuit_breaker;
  return c;
}

TEST_F(MessageDispatcherTest, LoneMessageOutlivesAnOutageLongerThanAttemptsTimesBackoffAndIsDelivered) {
  // One message, the backend refusing connections for ten minutes — far longer than the seed's
  // 3 attempts x backoff, far shorter than the default 60 min budget.
  constexpr absl::Duration kOutage = absl::Minutes(10);
  constexpr absl::Duration kStep = absl::Seconds(1);
  Make(DefaultPolicyConfig());
  http_.SetDefault(absl::UnavailableError("connection refused"));
  Send("1", {}, "{}", /*delivery_attempt=*/1);
  for (absl::Duration t; t < kOutage; t += kStep) {
    executor_.AdvanceTime(kStep);
    ASSERT_THAT(acks_->events, IsEmpty()) << "settled during the outage at " << t << log_text_.str();
  }
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
  // The consecutive-failure rule opened the circuit: the message was held, not hammering the backend.
  dispatcher_->UpdateMetrics();
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_circuit_state{backend=\"orders\"} 2"));
  const config::CircuitBreakerConfig defaults;
  const std::size_t calls_during_outage = http_.request_count();
  EXPECT_LT(calls_during_outage, static_cast<std::size_t>(kOutage / defaults.open_duration) + 10);
  http_.SetDefault(testing::FakeHttpClient::Response(200));
  executor_.AdvanceTime(defaults.open_duration + absl::Seconds(5));
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_EQ(dispatcher_->in_flight(), 0);
}

TEST_F(MessageDispatcherTest, ConsecutiveFailuresOfOneMessageAtATimeOpenTheCircuit) {
  auto config = DefaultPolicyConfig();
  config.backends[0].retry.max_attempts = 1;  // each message makes one attempt, then goes back
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  const config::CircuitBreakerConfig defaults;
  for (int i = 0; i < defaults.consecutive_failures; ++i) {
    if (i > 0) executor_.AdvanceTime(absl::Minutes(1));  // one run a minute
    Send(std::to_string(i));
  }
  EXPECT_EQ(http_.request_count(), static_cast<std::size_t>(defaults.consecutive_failures));
  dispatcher_->UpdateMetrics();
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_circuit_state{backend=\"orders\"} 2"));
  Send("next");
  EXPECT_EQ(http_.request_count(), static_cast<std::size_t>(defaults.consecutive_failures))
      << "no call while the circuit is open";
}

TEST_F(MessageDispatcherTest, NackDelayGrowsWithPubSubsDeliveryAttempt) {
  auto config = DefaultPolicyConfig();
  config.backends[0].retry.max_attempts = 1;
  config.backends[0].circuit_breaker.consecutive_failures = 0;
  config.backends[0].circuit_breaker.enabled = false;
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  // Default redelivery: 60 s doubling to the 600 s cap; an unknown attempt (0) counts as the first.
  for (int k = 0; k <= 6; ++k) Send(std::to_string(k), {}, "{}", k);
  EXPECT_THAT(acks_->events, ElementsAre("0:nack:1m", "1:nack:1m", "2:nack:2m", "3:nack:4m", "4:nack:8m",
                                         "5:nack:10m", "6:nack:10m"));
}

TEST_F(MessageDispatcherTest, LastAttemptEndsASafetyMarginBeforeTheLeaseThenTheMessageIsNacked) {
  constexpr absl::Duration kMaxExtension = absl::Seconds(20);
  constexpr absl::Duration kMargin = absl::Seconds(5);  // clamp(20 s / 4, 1 s, 5 s)
  auto config = DefaultPolicyConfig();
  config.lease_max_extension = kMaxExtension;
  config.backends[0].timeout = absl::Seconds(30);
  Make(config);
  http_.set_deliver_immediately(false);
  http_.Script(absl::DeadlineExceededError("timed out"));
  Send("1", {}, "{}", /*delivery_attempt=*/2);
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.requests()[0].timeout, kMaxExtension - kMargin);
  executor_.AdvanceTime(kMaxExtension - kMargin);
  http_.DeliverAll();
  // Budget spent while the lease still has its margin: handed back with the redelivery delay of attempt 2.
  EXPECT_THAT(acks_->events, ElementsAre("1:nack:2m"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_nacked_total{backend=\"orders\",reason=\"retry_budget_spent\"} 1"));
}

TEST_F(MessageDispatcherTest, HeldMessageIsNackedWithTheRedeliveryDelayWhenItsBudgetEnds) {
  constexpr absl::Duration kMaxExtension = absl::Seconds(60);
  constexpr absl::Duration kMargin = absl::Seconds(5);
  auto config = DefaultPolicyConfig();
  config.lease_max_extension = kMaxExtension;
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  Send("1", {}, "{}", /*delivery_attempt=*/3);
  // Nothing before the budget's last backoff (max_backoff 4 s + a 1 s minimum attempt) could begin.
  executor_.AdvanceTime(kMaxExtension - kMargin - absl::Seconds(6));
  EXPECT_THAT(acks_->events, IsEmpty()) << log_text_.str();
  executor_.AdvanceTime(absl::Seconds(6));
  EXPECT_THAT(acks_->events, ElementsAre("1:nack:4m"));
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
}

TEST_F(MessageDispatcherTest, ByDefaultOnlyFlowControlBoundsTheHold) {
  // More messages than any fixed hold bound would take: all are held leased, none handed back (a nack would
  // spend a delivery attempt of each during the outage).
  constexpr int kManyMessages = 1200;
  Make(DefaultPolicyConfig());
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  const config::CircuitBreakerConfig defaults;
  for (int i = 0; i < defaults.consecutive_failures; ++i) Send("f" + std::to_string(i));  // opens the circuit
  for (int i = 0; i < kManyMessages; ++i) Send("held" + std::to_string(i));
  EXPECT_THAT(acks_->events, IsEmpty());
  EXPECT_THAT(Scrape(), ::testing::Not(HasSubstr("reason=\"circuit_open\"} 1")));
}

TEST_F(MessageDispatcherTest, AFullHoldHandsTheMessageBackWithTheRedeliveryDelay) {
  auto config = DefaultPolicyConfig();
  config.backends[0].circuit_breaker.max_held_messages = 1;
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  const config::CircuitBreakerConfig defaults;
  for (int i = 0; i < defaults.consecutive_failures; ++i) Send("f" + std::to_string(i));  // opens the circuit
  Send("held", {}, "{}", /*delivery_attempt=*/1);
  Send("over", {}, "{}", /*delivery_attempt=*/2);
  EXPECT_THAT(acks_->events, ElementsAre("over:nack:2m"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_nacked_total{backend=\"orders\",reason=\"circuit_open\"} 1"));
}

TEST_F(MessageDispatcherTest, WallClockStepsMoveNeitherTheBudgetNorTheAttemptTimeout) {
  constexpr absl::Duration kMaxExtension = absl::Seconds(40);
  constexpr absl::Duration kBudget = absl::Seconds(35);  // less the 5 s margin
  constexpr absl::Duration kWallStep = absl::Hours(5);
  constexpr absl::Duration kFirstAttempt = absl::Seconds(10);
  auto config = DefaultPolicyConfig();
  config.lease_max_extension = kMaxExtension;
  config.backends[0].timeout = absl::Minutes(1);
  config.backends[0].circuit_breaker.enabled = false;
  Make(config);
  http_.set_deliver_immediately(false);
  http_.Script(testing::FakeHttpClient::Response(503));
  Send("1");
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.requests()[0].timeout, kBudget);
  // NTP steps the wall clock forward by hours while the first attempt runs.
  wall_.AdvanceTime(kWallStep);
  executor_.AdvanceTime(kFirstAttempt);
  http_.Script(testing::FakeHttpClient::Response(200));
  http_.DeliverNext();
  EXPECT_THAT(acks_->events, IsEmpty()) << "the budget must not look spent";
  // The retry (after a backoff of at most max_backoff) gets what is left of the steady budget.
  executor_.AdvanceTime(config.backends[0].retry.max_backoff);
  ASSERT_EQ(http_.request_count(), 2u) << log_text_.str();
  const absl::Duration second_timeout = http_.requests()[1].timeout;
  EXPECT_LE(second_timeout, kBudget - kFirstAttempt);
  EXPECT_GE(second_timeout, kBudget - kFirstAttempt - config.backends[0].retry.max_backoff);
  // And back by hours: the budget does not grow either.
  wall_.AdvanceTime(-2 * kWallStep);
  http_.DeliverNext();
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
}

TEST_F(MessageDispatcherTest, RejectedCredentialsAreRetriedAndToldNeverDeadLettered) {
  for (int status : {401, 403}) {
    SCOPED_TRACE(status);
    acks_->events.clear();
    dead_letters_.letters.clear();
    log_text_.str("");
    Make(DefaultPolicyConfig());
    http_.Script(testing::FakeHttpClient::Response(status));
    http_.Script(testing::FakeHttpClient::Response(status));
    Send("1");
    EXPECT_THAT(acks_->events, IsEmpty());
    EXPECT_THAT(dead_letters_.letters, IsEmpty());
    executor_.AdvanceTime(absl::Seconds(10));  // the credential is fixed; the retry succeeds
    EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
    EXPECT_THAT(dead_letters_.letters, IsEmpty());
    auto lines = LogLinesWith("backend rejected our credentials");
    ASSERT_EQ(lines.size(), 2u) << log_text_.str();
    EXPECT_EQ(lines[0]["severity"], "ERROR");
    EXPECT_EQ(lines[0]["backend"], "orders");
    EXPECT_EQ(lines[0]["http_status"], status);
  }
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_backend_auth_failures_total{backend=\"orders\"} 4"));
}

TEST_F(MessageDispatcherTest, OnReceiptFailedDeadLetterPublishIsALostMessageNeverNacked) {
  auto config = Config();
  config.ack_mode = config::AckMode::kOnReceipt;
  Make(config);
  http_.Script(testing::FakeHttpClient::Response(404));
  Send("1");
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  dead_letters_.letters[0].done(absl::UnavailableError("pubsub down"));
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));  // on receipt; nothing to hand back
  auto lost = LogLinesWith("message lost");
  ASSERT_EQ(lost.size(), 1u) << log_text_.str();
  EXPECT_EQ(lost[0]["severity"], "ERROR");
  EXPECT_EQ(lost[0]["message_id"], "m-1");
  EXPECT_EQ(lost[0]["outcome"], "lost");
  EXPECT_EQ(lost[0]["reason"], "dead_letter_publish_failed");
  EXPECT_THAT(log_text_.str(), ::testing::Not(HasSubstr("nack")));
  const std::string scrape = Scrape();
  EXPECT_THAT(scrape,
              HasSubstr("schedsvc_messages_lost_total{backend=\"orders\",reason=\"dead_letter_publish_failed\"} 1"));
  EXPECT_THAT(scrape, ::testing::Not(::testing::ContainsRegex("schedsvc_messages_nacked_total\\{[^}]*\\} [1-9]")));
  EXPECT_EQ(dispatcher_->in_flight(), 0);
}

TEST_F(MessageDispatcherTest, OnReceiptWithoutADeadLetterTopicAFinalFailureIsALostMessage) {
  auto config = Config();
  config.ack_mode = config::AckMode::kOnReceipt;
  config.dead_letter_topic.clear();
  Make(config, /*with_dead_letters=*/false);
  http_.Script(testing::FakeHttpClient::Response(400));
  Send("1");
  auto lost = LogLinesWith("message lost");
  ASSERT_EQ(lost.size(), 1u) << log_text_.str();
  EXPECT_EQ(lost[0]["reason"], "no_dead_letter_topic");
  EXPECT_THAT(Scrape(),
              HasSubstr("schedsvc_messages_lost_total{backend=\"orders\",reason=\"no_dead_letter_topic\"} 1"));
}

TEST_F(MessageDispatcherTest, OnReceiptAcksAreCountedOnArrivalByBackend) {
  auto config = Config();
  config.ack_mode = config::AckMode::kOnReceipt;
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  Send("1");
  // Acked on arrival, before (and whatever) the backend answers; counted once, by backend.
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_acked_total{backend=\"orders\"} 1"));
  Send("2", {{"backend", "nope"}});
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_acked_total{backend=\"\"} 1"));
}


// ingest: push, with the default retry and breaker policy and a 60 s push ack deadline.
config::ServiceConfig PushConfig() {
  config::ServiceConfig c = DefaultPolicyConfig();
  c.ingest = config::IngestMode::kPush;
  c.push.ack_deadline = absl::Seconds(60);
  c.backends[0].circuit_breaker.max_hold = absl::ZeroDuration();  // refused with push by the loader
  return c;
}

TEST_F(MessageDispatcherTest, PushBudgetIsTheAckDeadlineNotTheLeaseExtension) {
  constexpr absl::Duration kAckDeadline = absl::Seconds(20);
  constexpr absl::Duration kMargin = absl::Seconds(5);  // clamp(20 s / 4, 1 s, 5 s), as for a lease
  auto config = PushConfig();
  config.push.ack_deadline = kAckDeadline;
  config.lease_max_extension = absl::Minutes(60);  // not used in push mode
  config.backends[0].timeout = absl::Seconds(30);
  Make(config);
  http_.set_deliver_immediately(false);
  http_.Script(absl::DeadlineExceededError("timed out"));
  Send("1");
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.requests()[0].timeout, kAckDeadline - kMargin);
  executor_.AdvanceTime(kAckDeadline - kMargin);
  http_.DeliverAll();
  // The budget is spent a margin before the push request's deadline: the message is handed back.
  ASSERT_EQ(acks_->events.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(acks_->events[0], "1:nack:")) << acks_->events[0];
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_nacked_total{backend=\"orders\",reason=\"retry_budget_spent\"} 1"));
}

TEST_F(MessageDispatcherTest, PushRetriesInsideTheAckDeadlineThenAcks) {
  Make(PushConfig());
  http_.Script(testing::FakeHttpClient::Response(503));
  Send("1");
  EXPECT_THAT(acks_->events, IsEmpty());
  executor_.AdvanceTime(absl::Seconds(10));
  EXPECT_EQ(http_.request_count(), 2u);
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
}

TEST_F(MessageDispatcherTest, PushOpenCircuitHandsTheMessageBackAtOnceInsteadOfHolding) {
  auto config = PushConfig();
  config.backends[0].circuit_breaker.minimum_requests = 4;
  config.backends[0].circuit_breaker.consecutive_failures = 0;
  config.backends[0].retry.max_attempts = 1;
  Make(config);
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  // Four failing messages open the circuit (minimum_requests 4, rate 100 %).
  for (int i = 0; i < 4; ++i) Send("f" + std::to_string(i));
  const std::size_t calls_when_opened = http_.request_count();
  acks_->events.clear();
  Send("late");
  EXPECT_EQ(http_.request_count(), calls_when_opened);  // no call while open
  // Settled at once, without any time passing: nothing is held.
  ASSERT_EQ(acks_->events.size(), 1u) << log_text_.str();
  EXPECT_TRUE(absl::StartsWith(acks_->events[0], "late:nack:")) << acks_->events[0];
  dispatcher_->UpdateMetrics();
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_held{backend=\"orders\"} 0"));
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_messages_nacked_total{backend=\"orders\",reason=\"circuit_open\"} 1"));
  EXPECT_EQ(dispatcher_->in_flight(), 0);
  EXPECT_THAT(dead_letters_.letters, IsEmpty());
  // The log does not promise a redelivery delay the push answer cannot carry.
  for (const auto& line : LogLinesWith("handed back")) EXPECT_FALSE(line.contains("redeliver_in_s")) << line;
  EXPECT_FALSE(LogLinesWith("handed back").empty());
}

TEST_F(MessageDispatcherTest, PushPermanentFailureIsDeadLetteredThenAcked) {
  Make(PushConfig());
  http_.Script(testing::FakeHttpClient::Response(400));
  Send("1");
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  EXPECT_EQ(dead_letters_.letters[0].info.reason, "http_4xx");
  EXPECT_THAT(acks_->events, IsEmpty());  // acked only once published
  dead_letters_.letters[0].done(absl::OkStatus());
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_EQ(http_.request_count(), 1u);
}

// Recent deliveries: one record per delivery, added when its outcome is decided.

constexpr absl::Duration kRetryWait = absl::Seconds(10);

TEST_F(MessageDispatcherTest, DeliveredAfterARetryIsRecordedOnceWithItsAttemptsStatusAndLatency) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(503));
  const absl::Time published = wall_.Now();
  Send("1", {{"path", "/jobs/x"}}, "body-text", /*delivery_attempt=*/2);
  EXPECT_THAT(recent_.Snapshot(), IsEmpty());  // waiting for its retry: not decided yet
  executor_.AdvanceTime(kRetryWait);
  ASSERT_THAT(acks_->events, ElementsAre("1:ack"));
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecord(r));
  EXPECT_EQ(r.outcome, FinalOutcome::kDelivered);
  EXPECT_EQ(r.message_id, "m-1");
  EXPECT_EQ(r.backend, "orders");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.delivery_attempt, 2);
  EXPECT_EQ(r.publish_time, published);
  EXPECT_EQ(r.time, wall_.Now());
  // From arrival to the ack on the steady clock: the retry's backoff, at most kRetryWait.
  EXPECT_GT(r.latency, absl::ZeroDuration());
  EXPECT_LE(r.latency, kRetryWait);
  EXPECT_THAT(r.attributes, ElementsAre(std::pair<const std::string, std::string>("path", "/jobs/x")));
  EXPECT_EQ(r.reason_code, "");
  EXPECT_EQ(r.reason, "");
}

TEST_F(MessageDispatcherTest, SpentRetriesAreRecordedOnceAsHandedBackWithTheLastStatus) {
  Make(Config());
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  Send("1");
  executor_.AdvanceTime(absl::Seconds(30));
  ASSERT_THAT(acks_->events, ElementsAre("1:nack:1m"));
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecord(r));
  EXPECT_EQ(r.outcome, FinalOutcome::kHandedBack);
  EXPECT_EQ(r.reason_code, "retry_budget_spent");
  EXPECT_FALSE(r.reason.empty());
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.http_status, 503);
}

TEST_F(MessageDispatcherTest, DeadLetterIsRecordedOnlyOnceItsPublishIsConfirmedWithItsReason) {
  Make(Config());
  Send("1", {{"path", "/a/../b"}}, "body-text");
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  EXPECT_THAT(recent_.Snapshot(), IsEmpty());  // the publish may still fail
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecordOncePublished(absl::OkStatus(), r));
  EXPECT_EQ(r.outcome, FinalOutcome::kDeadLettered);
  // As the dead letter says it: schedsvc.reason and schedsvc.error.
  EXPECT_EQ(r.reason_code, "invalid_path");
  EXPECT_EQ(r.reason, dead_letters_.letters[0].info.error);
  EXPECT_FALSE(r.reason.empty());
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.attributes.at("path"), "/a/../b");
}

TEST_F(MessageDispatcherTest, BackendRejectionIsRecordedAsDeadLetteredWithItsStatus) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(400));
  Send("1");
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecordOncePublished(absl::OkStatus(), r));
  EXPECT_EQ(r.outcome, FinalOutcome::kDeadLettered);
  EXPECT_EQ(r.reason_code, "http_4xx");
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(MessageDispatcherTest, UnknownBackendIsRecordedWithoutABackend) {
  Make(Config());
  Send("1", {{"backend", "nope"}});
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecordOncePublished(absl::OkStatus(), r));
  EXPECT_EQ(r.outcome, FinalOutcome::kDeadLettered);
  EXPECT_EQ(r.reason_code, "unknown_backend");
  EXPECT_EQ(r.backend, "");
  EXPECT_EQ(r.attempts, 0);
}

TEST_F(MessageDispatcherTest, FailedDeadLetterPublishIsRecordedOnceAsHandedBack) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(404));
  Send("1");
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecordOncePublished(absl::UnavailableError("pubsub down"), r));
  EXPECT_EQ(r.outcome, FinalOutcome::kHandedBack);
  EXPECT_EQ(r.reason_code, "dead_letter_publish_failed");
  EXPECT_EQ(r.reason, "pubsub down");
  EXPECT_EQ(r.http_status, 404);
}

TEST_F(MessageDispatcherTest, ShutdownIsRecordedAsHandedBack) {
  Make(Config());
  http_.Script(testing::FakeHttpClient::Response(503));
  Send("1");
  dispatcher_->BeginShutdown();
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecord(r));
  EXPECT_EQ(r.outcome, FinalOutcome::kHandedBack);
  EXPECT_EQ(r.reason_code, "shutdown");
  EXPECT_EQ(r.http_status, 503);
}

TEST_F(MessageDispatcherTest, HeldMessageIsRecordedOnlyWhenHandedBack) {
  Make(Config());
  http_.SetDefault(testing::FakeHttpClient::Response(503));
  // Four failing messages open the circuit (minimum_requests 4, rate 100 %); each is then retried, held
  // or handed back in its own time.
  for (int i = 0; i < 4; ++i) Send("f" + std::to_string(i));
  Send("held");
  for (const auto& r : recent_.Snapshot()) EXPECT_NE(r.message_id, "m-held");
  executor_.AdvanceTime(absl::Seconds(36));
  ASSERT_THAT(acks_->events, ::testing::Contains("held:nack:1m"));
  int held_records = 0;
  for (const auto& r : recent_.Snapshot()) {
    if (r.message_id != "m-held") continue;
    ++held_records;
    EXPECT_EQ(r.outcome, FinalOutcome::kHandedBack);
    EXPECT_EQ(r.reason_code, "circuit_open");
  }
  EXPECT_EQ(held_records, 1);
  // Exactly one record per settled delivery.
  EXPECT_EQ(recent_.Snapshot().size(), acks_->events.size());
}

TEST_F(MessageDispatcherTest, OnReceiptLostMessageIsRecordedAsLost) {
  auto config = Config();
  config.ack_mode = config::AckMode::kOnReceipt;
  Make(config);
  http_.Script(testing::FakeHttpClient::Response(404));
  Send("1");
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecordOncePublished(absl::UnavailableError("pubsub down"), r));
  EXPECT_EQ(r.outcome, FinalOutcome::kLost);
  EXPECT_EQ(r.reason_code, "dead_letter_publish_failed");
  EXPECT_EQ(r.http_status, 404);
}

TEST_F(MessageDispatcherTest, PushDeliveryIsRecordedLikeAPulledOne) {
  Make(PushConfig());
  Send("1", {{"path", "/jobs/x"}});
  ASSERT_THAT(acks_->events, ElementsAre("1:ack"));
  DeliveryRecord r;
  ASSERT_NO_FATAL_FAILURE(OnlyRecord(r));
  EXPECT_EQ(r.outcome, FinalOutcome::kDelivered);
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(MessageDispatcherTest, WithoutARingNothingIsRecordedAndDeliveryWorks) {
  config_ = Config();
  MessageDispatcher dispatcher(config_, http_, &dead_letters_, executor_, clock_, wall_, metrics_, log_);
  pubsub::Message m;
  m.message_id = "m-1";
  dispatcher.Dispatch(std::move(m), pubsub::AckHandle(acks_, "1"));
  EXPECT_THAT(acks_->events, ElementsAre("1:ack"));
  EXPECT_THAT(recent_.Snapshot(), IsEmpty());
}

}  // namespace
}  // namespace schedsvc::dispatch
