#include "src/budget/timeline_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::budget {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

config::ServiceConfig SeedConfig(config::AckMode mode) {
  config::ServiceConfig c;
  c.ack_mode = mode;
  config::BackendConfig b;
  b.name = "orders";
  b.timeout = absl::Minutes(20);
  b.retry.max_attempts = 1;
  b.gateway.timeout = absl::Minutes(6);
  b.gateway.retries = 2;
  b.gateway.retry_delays = {absl::Seconds(10), absl::Seconds(20)};
  c.backends.push_back(b);
  return c;
}

SubscriptionLimits Limits() {
  SubscriptionLimits limits;
  limits.ack_deadline = absl::Seconds(600);
  limits.max_delivery_attempts = 5;
  return limits;
}

TEST(TimelineTextTest, SeedCaseShowsTheTimelineAndTheViolation) {
  const std::string text =
      RenderTimeBudget(ComputeTimeBudget(SeedConfig(config::AckMode::kOnReceipt), Limits()));
  EXPECT_THAT(text, HasSubstr("WARNING: ack_mode on-receipt"));
  EXPECT_THAT(text, HasSubstr("backend orders\n"));
  EXPECT_THAT(text, HasSubstr("+6m           gateway waits 10s before try 2\n"));
  EXPECT_THAT(text, HasSubstr("+12m30s       gateway try 3 of 3 (gateway timeout 6m)\n"));
  EXPECT_THAT(text, HasSubstr("    +0s       attempt 1 of 1 starts (timeout 20m)\n"));
  EXPECT_THAT(text, HasSubstr("+10m      -- ack deadline 10m (on-receipt: never extended) --\n"));
  EXPECT_THAT(text, HasSubstr("+18m30s   attempt 1 fails: gateway gave up\n"));
  EXPECT_THAT(text, HasSubstr("worst case of one delivery: 18m30s (1 attempt); protected for 10m"));
  EXPECT_THAT(text, HasSubstr("verdict: VIOLATION\n    - worst case 18m30s > ack deadline 10m"));
  EXPECT_THAT(text, HasSubstr("result: VIOLATION in 1 of 1 backend\n"));
}

TEST(TimelineTextTest, CoveredCaseSaysOk) {
  config::ServiceConfig c = SeedConfig(config::AckMode::kAfterSuccess);
  const std::string text = RenderTimeBudget(ComputeTimeBudget(c, Limits()));
  EXPECT_THAT(text, Not(HasSubstr("WARNING")));
  EXPECT_THAT(text, HasSubstr("-- lease.max_extension 1h: the lease is no longer extended --"));
  EXPECT_THAT(text, HasSubstr("verdict: OK\n"));
  EXPECT_THAT(text, HasSubstr("result: OK (1 backend within budget)\n"));
}

TEST(TimelineTextTest, ManyAttemptsAreElidedButCounted) {
  config::ServiceConfig c;
  config::BackendConfig b;
  b.name = "many";
  b.timeout = absl::Seconds(1);
  b.retry.max_attempts = 20;
  b.retry.initial_backoff = absl::Seconds(1);
  b.retry.max_backoff = absl::Seconds(1);
  c.backends.push_back(b);
  const std::string text = RenderTimeBudget(ComputeTimeBudget(c, Limits()));
  EXPECT_THAT(text, HasSubstr("attempts 3 to 19 repeat the same pattern"));
  EXPECT_THAT(text, HasSubstr("attempt 20 of 20 starts"));
  EXPECT_THAT(text, Not(HasSubstr("attempt 7 of 20")));
  EXPECT_THAT(text, HasSubstr("worst case of one delivery: 39s (20 attempts)"));
}

TEST(TimelineTextTest, PushShowsTheAnswerDueTheBackoffsAndThatPushCannotHold) {
  config::ServiceConfig c;
  c.ingest = config::IngestMode::kPush;
  c.push.ack_deadline = absl::Seconds(60);
  config::BackendConfig b;
  b.name = "orders";
  c.backends.push_back(b);
  SubscriptionLimits limits;
  limits.ack_deadline = absl::Seconds(60);
  limits.max_delivery_attempts = 5;
  const std::string text = RenderTimeBudget(ComputeTimeBudget(c, limits));
  EXPECT_THAT(text, HasSubstr("ingest push, push.ack_deadline 1m (answer due at 55s), subscription ack deadline 1m, "
                              "max delivery attempts 5, retryPolicy 10s..10m"));
  EXPECT_THAT(text, HasSubstr("+55s      -- answer due (push.ack_deadline 1m minus 5s margin) --\n"));
  EXPECT_THAT(text, HasSubstr("+1m       -- ack deadline 1m (push: Pub/Sub stops waiting for the answer and "
                              "redelivers) --\n"));
  EXPECT_THAT(text, HasSubstr("worst case of one delivery: 55s (2 attempts); answer due at 55s\n"));
  // 5 × 55 s + 10 + 20 + 40 + 80 s.
  EXPECT_THAT(text, HasSubstr("5 deliveries until dead-lettered: up to 7m5s when each runs until its answer is due"));
  EXPECT_THAT(text, HasSubstr("push cannot hold a message during an outage"));
  EXPECT_THAT(text, HasSubstr("backend outage survived without a dead letter: at least 2m30s (LESS than the "
                              "expected 1h)"));
  EXPECT_THAT(text, HasSubstr("result: OK (1 backend within budget)\n"));
  EXPECT_THAT(text, Not(HasSubstr("ack_mode")));  // the pull header and its lease lines
}

}  // namespace
}  // namespace schedsvc::budget
