#include "src/budget/time_budget.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::budget {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// The seed system (DESIGN §4): ack deadline 600 s; the gateway times out after 6 min and makes 3
// tries with 0 + 10 + 20 s between them; our side makes one attempt whose timeout does not clip it.
const absl::Duration kSeedAckDeadline = absl::Seconds(600);
const absl::Duration kSeedGatewayTimeout = absl::Minutes(6);
constexpr int kSeedGatewayRetries = 2;
const absl::Duration kSeedWorstCase = absl::Minutes(18) + absl::Seconds(30);
const absl::Duration kGenerousTimeout = absl::Minutes(20);
constexpr int kSeedDeliveryAttempts = 5;
// redelivery defaults (60 s doubling) after deliveries 1-4 of 5: 1 + 2 + 4 + 8 min.
const absl::Duration kDefaultRedeliveryDelays = absl::Minutes(15);
// lease.max_extension 60 min minus the 5 s safety margin.
const absl::Duration kDefaultDeliveryBudget = absl::Minutes(60) - absl::Seconds(5);
const absl::Duration kDefaultMaxBackoff = absl::Seconds(60);
const absl::Duration kMinAttemptTime = absl::Seconds(1);

config::BackendConfig SeedBackend(const std::string& name) {
  config::BackendConfig b;
  b.name = name;
  b.url = "https://orders.example.com";
  b.timeout = kGenerousTimeout;
  b.retry.max_attempts = 1;
  b.gateway.timeout = kSeedGatewayTimeout;
  b.gateway.retries = kSeedGatewayRetries;
  b.gateway.retry_delays = {absl::Seconds(10), absl::Seconds(20)};
  return b;
}

config::ServiceConfig SeedConfig(config::AckMode mode) {
  config::ServiceConfig c;
  c.subscription = "projects/p/subscriptions/s";
  c.ack_mode = mode;
  c.backends.push_back(SeedBackend("orders"));
  return c;
}

SubscriptionLimits SeedLimits() {
  SubscriptionLimits limits;
  limits.ack_deadline = kSeedAckDeadline;
  limits.max_delivery_attempts = kSeedDeliveryAttempts;
  return limits;
}

std::vector<absl::Duration> Offsets(const BackendBudget& b, EventKind kind) {
  std::vector<absl::Duration> out;
  for (const TimelineEvent& e : b.events) {
    if (e.kind == kind) out.push_back(e.offset);
  }
  return out;
}

TEST(TimeBudgetTest, SeedCaseIsEighteenMinutesThirtyAndViolatesOnReceipt) {
  BudgetReport report = ComputeTimeBudget(SeedConfig(config::AckMode::kOnReceipt), SeedLimits());
  ASSERT_EQ(report.backends.size(), 1u);
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.gateway_total, kSeedWorstCase);
  EXPECT_EQ(b.attempt_cost, kSeedWorstCase);
  EXPECT_EQ(b.delivery_total, kSeedWorstCase);
  EXPECT_EQ(b.protected_for, kSeedAckDeadline);
  EXPECT_EQ(b.verdict, Verdict::kViolation);
  ASSERT_EQ(b.violations.size(), 1u);
  EXPECT_THAT(b.violations[0], HasSubstr("worst case 18m30s > ack deadline 10m"));
  EXPECT_FALSE(report.ok());

  // The gateway's three tries at +0, +6m10s, +12m30s, with waits of 10 s and 20 s between.
  EXPECT_THAT(Offsets(b, EventKind::kGatewayTry),
              ElementsAre(absl::ZeroDuration(), absl::Minutes(6) + absl::Seconds(10),
                          absl::Minutes(12) + absl::Seconds(30)));
  EXPECT_THAT(Offsets(b, EventKind::kGatewayDelay),
              ElementsAre(absl::Minutes(6), absl::Minutes(12) + absl::Seconds(10)));
  EXPECT_THAT(Offsets(b, EventKind::kAttemptEnd), ElementsAre(kSeedWorstCase));
  EXPECT_THAT(Offsets(b, EventKind::kAckDeadline), ElementsAre(kSeedAckDeadline));
  EXPECT_THAT(Offsets(b, EventKind::kLeaseLimit), IsEmpty());
  for (size_t i = 1; i < b.events.size(); ++i) {
    EXPECT_LE(b.events[i - 1].offset, b.events[i].offset) << "events out of order at " << i;
  }
}

TEST(TimeBudgetTest, OnReceiptIsWarnedAboutEvenWhenWithinBudget) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kOnReceipt);
  c.backends[0].gateway = {};
  c.backends[0].timeout = absl::Seconds(30);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  EXPECT_TRUE(report.ok());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("on-receipt"));
  EXPECT_THAT(report.warnings[0], HasSubstr("crash loses"));

  BudgetReport after = ComputeTimeBudget(SeedConfig(config::AckMode::kAfterSuccess), SeedLimits());
  EXPECT_THAT(after.warnings, IsEmpty());
}

TEST(TimeBudgetTest, SeedCasePassesOnceLeaseExtensionCoversIt) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  c.lease_max_extension = absl::Minutes(20);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.delivery_total, kSeedWorstCase);
  EXPECT_EQ(b.protected_for, absl::Minutes(20));
  EXPECT_EQ(b.verdict, Verdict::kOk);
  EXPECT_THAT(b.violations, IsEmpty());
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(Offsets(b, EventKind::kLeaseLimit), ElementsAre(absl::Minutes(20)));
  // Five deliveries of 18m30s with the four growing redelivery delays in between.
  EXPECT_EQ(b.all_deliveries_total, kSeedWorstCase * kSeedDeliveryAttempts + kDefaultRedeliveryDelays);
}

TEST(TimeBudgetTest, LeaseExtensionShorterThanWorstCaseIsAViolation) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  c.lease_max_extension = absl::Minutes(15);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.verdict, Verdict::kViolation);
  ASSERT_EQ(b.violations.size(), 1u);
  EXPECT_THAT(b.violations[0], HasSubstr("18m30s > lease.max_extension 15m"));
}

TEST(TimeBudgetTest, LeaseExtensionBelowAckDeadlineDoesNotProtectBeyondIt) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  c.lease_max_extension = absl::Minutes(5);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  EXPECT_EQ(report.backends[0].protected_for, kSeedAckDeadline);
  EXPECT_EQ(report.backends[0].verdict, Verdict::kViolation);
  EXPECT_THAT(report.backends[0].violations,
              ElementsAre(HasSubstr("lease.max_extension 5m does not extend past it")));
}

TEST(TimeBudgetTest, OurTimeoutClipsTheGateway) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  c.backends[0].timeout = absl::Minutes(7);
  c.backends[0].retry.max_attempts = 2;
  c.backends[0].retry.initial_backoff = absl::Seconds(5);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.gateway_total, kSeedWorstCase);
  EXPECT_EQ(b.attempt_cost, absl::Minutes(7));
  EXPECT_EQ(b.delivery_total, absl::Minutes(14) + absl::Seconds(5));
  // Attempt 1: try 1 (0-6m), wait 10 s, try 2 cut at 7m.
  EXPECT_THAT(Offsets(b, EventKind::kGatewayCut),
              ElementsAre(absl::Minutes(7), absl::Minutes(14) + absl::Seconds(5)));
  // Besides the short outage this one-attempt backend survives.
  EXPECT_THAT(b.warnings, UnorderedElementsAre(HasSubstr("gateway may still be retrying"),
                                               HasSubstr("dead-letters messages")));
}

TEST(TimeBudgetTest, TimeoutBelowGatewayTimeoutMeansNoGatewayRetries) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  c.backends[0].timeout = absl::Minutes(2);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.attempt_cost, absl::Minutes(2));
  EXPECT_THAT(Offsets(b, EventKind::kGatewayTry), ElementsAre(absl::ZeroDuration()));
  EXPECT_THAT(b.warnings, UnorderedElementsAre(HasSubstr("gateway may still be retrying"),
                                               HasSubstr("gateway's own retries can never happen"),
                                               HasSubstr("dead-letters messages")));
}

TEST(TimeBudgetTest, BackoffsAreCappedExponentialWithoutJitter) {
  config::RetryConfig retry;
  retry.initial_backoff = absl::Seconds(1);
  retry.multiplier = 2;
  retry.max_backoff = absl::Seconds(3);
  EXPECT_EQ(WorstCaseBackoff(retry, 1), absl::Seconds(1));
  EXPECT_EQ(WorstCaseBackoff(retry, 2), absl::Seconds(2));
  EXPECT_EQ(WorstCaseBackoff(retry, 3), absl::Seconds(3));
  EXPECT_EQ(WorstCaseBackoff(retry, 100), absl::Seconds(3));

  config::ServiceConfig c;
  config::BackendConfig b;
  b.name = "plain";
  b.timeout = absl::Seconds(30);
  b.retry = retry;
  b.retry.max_attempts = 4;
  c.backends.push_back(b);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  const BackendBudget& out = report.backends[0];
  EXPECT_EQ(out.gateway_total, absl::ZeroDuration());
  // 4 × 30 s + 1 + 2 + 3 s.
  EXPECT_EQ(out.delivery_total, absl::Seconds(126));
  EXPECT_THAT(Offsets(out, EventKind::kBackoff),
              ElementsAre(absl::Seconds(30), absl::Seconds(61), absl::Seconds(93)));
  EXPECT_EQ(out.redelivery_delay, absl::Seconds(60));
}

TEST(TimeBudgetTest, MultipleBackendsGetIndependentVerdicts) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  c.lease_max_extension = absl::Minutes(15);
  config::BackendConfig fast;
  fast.name = "fast";
  fast.timeout = absl::Seconds(10);
  fast.retry.max_attempts = 3;
  c.backends.push_back(fast);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  ASSERT_EQ(report.backends.size(), 2u);
  EXPECT_EQ(report.backends[0].backend, "orders");
  EXPECT_EQ(report.backends[0].verdict, Verdict::kViolation);
  EXPECT_EQ(report.backends[1].backend, "fast");
  EXPECT_EQ(report.backends[1].verdict, Verdict::kOk);
  // 3 × 10 s + 1 s + 2 s with the default backoffs.
  EXPECT_EQ(report.backends[1].delivery_total, absl::Seconds(33));
  EXPECT_FALSE(report.ok());
}

TEST(TimeBudgetTest, DeliveriesOutlastingRetentionAreAViolation) {
  config::ServiceConfig c;
  c.lease_max_extension = absl::Hours(24);
  config::BackendConfig slow;
  slow.name = "slow";
  slow.timeout = absl::Hours(2);
  slow.retry.max_attempts = 1;
  c.backends.push_back(slow);
  SubscriptionLimits limits = SeedLimits();
  limits.max_delivery_attempts = 100;
  BudgetReport report = ComputeTimeBudget(c, limits);
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.verdict, Verdict::kViolation);
  ASSERT_EQ(b.violations.size(), 1u);
  EXPECT_THAT(b.violations[0], HasSubstr("100 deliveries"));
  EXPECT_THAT(b.violations[0], HasSubstr("message retention"));
}

TEST(TimeBudgetTest, NoDeadLetterPolicyIsAWarning) {
  SubscriptionLimits limits = SeedLimits();
  limits.max_delivery_attempts = 0;
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  BudgetReport report = ComputeTimeBudget(c, limits);
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.verdict, Verdict::kOk);
  EXPECT_EQ(b.all_deliveries_total, absl::ZeroDuration());
  EXPECT_THAT(b.warnings, ElementsAre(HasSubstr("no dead-letter policy")));
}

config::ServiceConfig DefaultConfig() {
  config::ServiceConfig c;
  c.subscription = "projects/p/subscriptions/s";
  config::BackendConfig b;
  b.name = "api";
  b.url = "https://api.example.com";
  c.backends.push_back(b);
  return c;
}

TEST(TimeBudgetTest, WithoutAnAttemptCapTheDeliveryLastsItsBudget) {
  BudgetReport report = ComputeTimeBudget(DefaultConfig(), SeedLimits());
  const BackendBudget& b = report.backends[0];
  EXPECT_TRUE(b.attempts_unlimited);
  EXPECT_EQ(b.delivery_budget, kDefaultDeliveryBudget);
  EXPECT_LE(b.delivery_total, kDefaultDeliveryBudget);
  // 30 s attempts with backoffs up to 60 s: dozens of attempts fit in the hour.
  EXPECT_GT(b.attempts, 30);
  EXPECT_EQ(b.verdict, Verdict::kOk);
}

TEST(TimeBudgetTest, DefaultsSurviveAnOutageOfFiveBudgetsAndTheRedeliveryDelays) {
  const config::ServiceConfig c = DefaultConfig();
  // A failure whose drawn backoff is the full max_backoff (60 s) no longer fits the budget with the
  // minimum attempt time (1 s) left: the dispatcher may hand the message back that early in each delivery.
  const absl::Duration earliest_hand_back = kDefaultDeliveryBudget - (kDefaultMaxBackoff + kMinAttemptTime);
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], kSeedDeliveryAttempts),
            earliest_hand_back * kSeedDeliveryAttempts + kDefaultRedeliveryDelays);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  EXPECT_THAT(report.backends[0].warnings, IsEmpty());
}

TEST(TimeBudgetTest, AnAttemptCapWithoutTheBreakerSurvivesOnlyTheRedeliveryDelays) {
  config::ServiceConfig c = DefaultConfig();
  c.backends[0].retry.max_attempts = 3;
  c.backends[0].circuit_breaker.consecutive_failures = 0;
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], kSeedDeliveryAttempts), kDefaultRedeliveryDelays);
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  EXPECT_THAT(report.backends[0].warnings,
              ElementsAre(AllOf(HasSubstr("outage longer than 15m"), HasSubstr("retry.max_attempts to 0"))));
}

TEST(TimeBudgetTest, AnAttemptCapWithTheBreakerCountsProbesAsAttempts) {
  config::ServiceConfig c = DefaultConfig();
  c.backends[0].retry.max_attempts = 3;
  c.backends[0].circuit_breaker.consecutive_failures = 5;
  // Delivery 1: three attempts at once (3 in a row), nack 60 s. Delivery 2: two more open the circuit
  // (5 in a row), the probe 15 s later is its third attempt; nack 120 s. Deliveries 3-5: three probes
  // 15 s apart each (30 s), with 240 s and 480 s between them.
  const absl::Duration expected = absl::Seconds(60 + 15 + 120 + 30 + 240 + 30 + 480 + 30);
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], kSeedDeliveryAttempts), expected);
}

TEST(TimeBudgetTest, MaxHoldEndsAHeldDelivery) {
  config::ServiceConfig c = DefaultConfig();
  c.backends[0].circuit_breaker.max_hold = absl::Minutes(10);
  // The first attempts open the circuit at once; each delivery is then held for max_hold.
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], kSeedDeliveryAttempts),
            absl::Minutes(10) * kSeedDeliveryAttempts + kDefaultRedeliveryDelays);
}

TEST(TimeBudgetTest, AHoldEndingWithinAFullBackoffOfTheDeadlineCountsOnlyUpToTheEarliestHandBack) {
  config::ServiceConfig c = DefaultConfig();
  c.backends[0].circuit_breaker.max_hold = kDefaultDeliveryBudget - absl::Seconds(30);
  // A failed half-open probe 61 s before the deadline can already hand the message back.
  const absl::Duration earliest_hand_back = kDefaultDeliveryBudget - (kDefaultMaxBackoff + kMinAttemptTime);
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], kSeedDeliveryAttempts),
            earliest_hand_back * kSeedDeliveryAttempts + kDefaultRedeliveryDelays);
}

TEST(TimeBudgetTest, WithoutADeadLetterPolicyNoOutageDeadLetters) {
  const config::ServiceConfig c = DefaultConfig();
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], 0), absl::InfiniteDuration());
}

TEST(TimeBudgetTest, OnReceiptDeadLettersAtTheEndOfItsOneDelivery) {
  config::ServiceConfig c = DefaultConfig();
  c.ack_mode = config::AckMode::kOnReceipt;
  EXPECT_EQ(SurvivedOutage(c, c.backends[0], 0), kDefaultDeliveryBudget - (kDefaultMaxBackoff + kMinAttemptTime));
}

TEST(TimeBudgetTest, AHoldBoundBelowFlowControlIsWarnedAbout) {
  config::ServiceConfig c = DefaultConfig();
  c.backends[0].circuit_breaker.max_held_messages = 500;
  BudgetReport report = ComputeTimeBudget(c, SeedLimits());
  EXPECT_THAT(report.backends[0].warnings,
              ElementsAre(AllOf(HasSubstr("max_held_messages 500 < flow_control.max_outstanding_messages 1000"),
                                HasSubstr("longer than 15m dead-letters them"))));
}

TEST(TimeBudgetTest, AHigherExpectationWarns) {
  BudgetReport report = ComputeTimeBudget(DefaultConfig(), SeedLimits(), absl::Hours(6));
  EXPECT_THAT(report.backends[0].warnings, ElementsAre(HasSubstr("less than the 6h expected")));
  EXPECT_TRUE(report.ok());
}

TEST(TimeBudgetTest, GatewayTotalMatchesTheIssueFormula) {
  config::GatewayConfig gw;
  EXPECT_EQ(GatewayTotal(gw), absl::ZeroDuration());
  gw.timeout = absl::Minutes(6);
  gw.retries = 2;
  gw.retry_delays = {absl::Seconds(10), absl::Seconds(20)};
  EXPECT_EQ(GatewayTotal(gw), kSeedWorstCase);
  gw.retry_delays = {absl::Seconds(10)};  // missing delays count as 0
  EXPECT_EQ(GatewayTotal(gw), absl::Minutes(18) + absl::Seconds(10));
}


// Push (ingest: push). push.ack_deadline's default 60 s minus the 5 s margin: the answer is due at 55 s.
const absl::Duration kPushAckDeadline = absl::Seconds(60);
const absl::Duration kPushAnswerDue = absl::Seconds(55);
const absl::Duration kDefaultTimeout = absl::Seconds(30);
// Pub/Sub's retryPolicy defaults 10 s .. 600 s, doubling: waits after deliveries 1-4 of 5.
const absl::Duration kPushBackoffsOfFiveDeliveries = absl::Seconds(10 + 20 + 40 + 80);
constexpr int kMostDeliveryAttempts = 100;

config::ServiceConfig PushConfig() {
  config::ServiceConfig c;
  c.subscription = "projects/p/subscriptions/push";
  c.ingest = config::IngestMode::kPush;
  c.push.ack_deadline = kPushAckDeadline;
  config::BackendConfig b;
  b.name = "orders";
  b.url = "https://orders.example.com";
  c.backends.push_back(b);
  return c;
}

SubscriptionLimits PushLimits(int max_delivery_attempts = kSeedDeliveryAttempts) {
  SubscriptionLimits limits;
  limits.ack_deadline = kPushAckDeadline;
  limits.max_delivery_attempts = max_delivery_attempts;
  return limits;
}

TEST(PushTimeBudgetTest, TheAnswerIsDueAMarginBeforeTheAckDeadline) {
  EXPECT_EQ(PushDeliveryBudget(PushConfig()), kPushAnswerDue);
  config::ServiceConfig c = PushConfig();
  c.push.ack_deadline = absl::Seconds(10);
  EXPECT_EQ(PushDeliveryBudget(c), absl::Milliseconds(7500));  // 10 s / 4 = 2.5 s margin
}

TEST(PushTimeBudgetTest, WithoutAnAttemptCapTheDeliveryEndsWhenTheAnswerIsDue) {
  BudgetReport report = ComputeTimeBudget(PushConfig(), PushLimits());
  ASSERT_EQ(report.backends.size(), 1u);
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(report.ingest, config::IngestMode::kPush);
  EXPECT_EQ(report.push_delivery_budget, kPushAnswerDue);
  // Attempt 1: 0-30 s; backoff 1 s; attempt 2 clipped to 31-55 s; a further 2 s backoff does not fit.
  EXPECT_EQ(b.attempts, 2);
  EXPECT_EQ(b.delivery_total, kPushAnswerDue);
  EXPECT_EQ(b.protected_for, kPushAnswerDue);
  EXPECT_THAT(Offsets(b, EventKind::kAttemptStart), ElementsAre(absl::ZeroDuration(), kDefaultTimeout + absl::Seconds(1)));
  EXPECT_THAT(Offsets(b, EventKind::kAnswerDue), ElementsAre(kPushAnswerDue));
  EXPECT_THAT(Offsets(b, EventKind::kAckDeadline), ElementsAre(kPushAckDeadline));
  EXPECT_EQ(b.redelivery_delay, kDefaultRetryMinimumBackoff);
  EXPECT_EQ(b.all_deliveries_total, kPushAnswerDue * kSeedDeliveryAttempts + kPushBackoffsOfFiveDeliveries);
  EXPECT_EQ(b.verdict, Verdict::kOk);
  EXPECT_TRUE(report.ok());
}

TEST(PushTimeBudgetTest, CappedAttemptsPastTheAnswerDueAreAViolation) {
  config::ServiceConfig c = PushConfig();
  c.backends[0].retry.max_attempts = 3;
  BudgetReport report = ComputeTimeBudget(c, PushLimits());
  const BackendBudget& b = report.backends[0];
  // 30 s + 1 s + 30 s + 2 s + 30 s.
  EXPECT_EQ(b.delivery_total, absl::Seconds(93));
  EXPECT_EQ(b.verdict, Verdict::kViolation);
  ASSERT_EQ(b.violations.size(), 1u);
  EXPECT_THAT(b.violations[0], AllOf(HasSubstr("worst case 1m33s > 55s, when the push answer is due"),
                                     HasSubstr("or use ingest: pull")));
  EXPECT_FALSE(report.ok());
}

TEST(PushTimeBudgetTest, TheGatewaysRetriesCountInTheBudgetOfOneDelivery) {
  config::ServiceConfig c = PushConfig();
  config::BackendConfig& backend = c.backends[0];
  backend.timeout = absl::Minutes(2);
  backend.retry.max_attempts = 1;
  backend.gateway.timeout = absl::Seconds(20);
  backend.gateway.retries = 2;
  backend.gateway.retry_delays = {absl::Seconds(5)};
  const absl::Duration kGatewayTotal = absl::Seconds(3 * 20 + 5);
  BudgetReport report = ComputeTimeBudget(c, PushLimits());
  EXPECT_EQ(report.backends[0].gateway_total, kGatewayTotal);
  EXPECT_EQ(report.backends[0].delivery_total, kGatewayTotal);
  EXPECT_EQ(report.backends[0].verdict, Verdict::kViolation);

  c.push.ack_deadline = absl::Seconds(120);
  SubscriptionLimits limits = PushLimits();
  limits.ack_deadline = c.push.ack_deadline;
  report = ComputeTimeBudget(c, limits);
  EXPECT_EQ(report.backends[0].protected_for, absl::Seconds(115));
  EXPECT_EQ(report.backends[0].verdict, Verdict::kOk);
}

TEST(PushTimeBudgetTest, ASubscriptionAckDeadlineBelowPushAckDeadlineIsAViolation) {
  SubscriptionLimits limits = PushLimits();
  limits.ack_deadline = absl::Seconds(30);
  BudgetReport report = ComputeTimeBudget(PushConfig(), limits);
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.verdict, Verdict::kViolation);
  EXPECT_THAT(b.violations, Contains(HasSubstr("the subscription's ack deadline 30s < push.ack_deadline 1m")));

  limits.ack_deadline = absl::Seconds(600);
  report = ComputeTimeBudget(PushConfig(), limits);
  EXPECT_EQ(report.backends[0].verdict, Verdict::kOk);
  EXPECT_THAT(report.warnings, Contains(HasSubstr("the subscription's ack deadline 10m > push.ack_deadline 1m")));
}

TEST(PushTimeBudgetTest, PubsubRetryBackoffDoublesUpToItsMaximum) {
  SubscriptionLimits limits;
  EXPECT_EQ(PubsubRetryBackoff(limits, 1), absl::Seconds(10));
  EXPECT_EQ(PubsubRetryBackoff(limits, 2), absl::Seconds(20));
  EXPECT_EQ(PubsubRetryBackoff(limits, 6), absl::Seconds(320));
  EXPECT_EQ(PubsubRetryBackoff(limits, 7), absl::Seconds(600));
  EXPECT_EQ(PubsubRetryBackoff(limits, kMostDeliveryAttempts), absl::Seconds(600));
  limits.retry_minimum_backoff = absl::ZeroDuration();
  EXPECT_EQ(PubsubRetryBackoff(limits, kMostDeliveryAttempts), absl::ZeroDuration());
}

TEST(PushTimeBudgetTest, WithTheBreakerAnOutageSurvivesOnlyPubsubsBackoffs) {
  // Ten failures at once open the circuit within delivery 1; every later delivery finds it open or
  // probes and reopens it: each is answered at once, so only the retryPolicy's waits count.
  BudgetReport report = ComputeTimeBudget(PushConfig(), PushLimits());
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.survived_outage, kPushBackoffsOfFiveDeliveries);
  EXPECT_THAT(b.warnings,
              Contains(AllOf(HasSubstr("a backend outage longer than 2m30s can dead-letter messages, less than "
                                       "the 1h expected"),
                             HasSubstr("Push cannot hold a message during an outage"),
                             HasSubstr("maxDeliveryAttempts (5, up to 100)"), HasSubstr("or use ingest: pull"),
                             Not(HasSubstr("maximumBackoff")))));
}

TEST(PushTimeBudgetTest, AHundredDeliveryAttemptsSurviveFifteenHoursFortyMinutes) {
  // 10 + 20 + 40 + 80 + 160 + 320 s, then 93 waits of 600 s.
  const absl::Duration kExpected = absl::Seconds(630 + 93 * 600);
  BudgetReport report = ComputeTimeBudget(PushConfig(), PushLimits(kMostDeliveryAttempts));
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.survived_outage, kExpected);
  EXPECT_EQ(b.all_deliveries_total, kPushAnswerDue * kMostDeliveryAttempts + kExpected);
  EXPECT_THAT(b.warnings, Not(Contains(HasSubstr("backend outage"))));
}

TEST(PushTimeBudgetTest, WithoutTheBreakerEachDeliveryRunsUntilAFullBackoffBeforeTheAnswer) {
  config::ServiceConfig c = PushConfig();
  c.backends[0].circuit_breaker.enabled = false;
  c.backends[0].retry.max_backoff = absl::Seconds(5);
  // Each delivery retries until 55 s - (5 s + 1 s) = 49 s, then Pub/Sub waits 10, 20, 40, 80 s.
  const absl::Duration kEachDelivery = absl::Seconds(49);
  EXPECT_EQ(SurvivedPushOutage(c, c.backends[0], PushLimits()),
            kEachDelivery * kSeedDeliveryAttempts + kPushBackoffsOfFiveDeliveries);
}

TEST(PushTimeBudgetTest, ASmallerMaximumBackoffIsNamedAsWhatWouldLengthenTheOutage) {
  SubscriptionLimits limits = PushLimits();
  limits.retry_maximum_backoff = absl::Seconds(60);
  BudgetReport report = ComputeTimeBudget(PushConfig(), limits);
  // 10 + 20 + 40 + 60 s.
  EXPECT_EQ(report.backends[0].survived_outage, absl::Seconds(130));
  EXPECT_THAT(report.backends[0].warnings,
              Contains(HasSubstr("raise the retryPolicy's maximumBackoff (1m, up to 10m)")));
}

TEST(PushTimeBudgetTest, WithoutADeadLetterPolicyNothingIsDeadLettered) {
  BudgetReport report = ComputeTimeBudget(PushConfig(), PushLimits(0));
  const BackendBudget& b = report.backends[0];
  EXPECT_EQ(b.survived_outage, absl::InfiniteDuration());
  EXPECT_THAT(b.warnings, Contains(HasSubstr("no dead-letter policy")));
}

}  // namespace
}  // namespace schedsvc::budget
