// schedule-service through a low-rate backend outage: a scheduled job's messages arrive a few
// at a time, the backend refuses connections for longer than the subscription's five delivery attempts
// would last if each delivery gave up after a few quick retries, and the subscription has a dead-letter
// policy. With the service's own policy defaults (no attempt limit, circuit breaker with the
// consecutive-failure rule, hold until the budget ends, redelivery delay by delivery attempt) nothing is
// dead-lettered and every message is delivered once the backend is back. The budget is shortened
// (lease.max_extension 15s), not the rule.
#include <csignal>
#include <string>
#include <vector>

#include "integration_tests/service_fixture.h"

namespace schedsvc::service_it {
namespace {

constexpr int kMessages = 3;
// "A few seconds apart": the job's runs, compressed.
constexpr absl::Duration kPublishGap = absl::Seconds(4);
// Longer than five deliveries of a message that gives up after 3 quick attempts (< 2 s each with the
// 100 ms-1 s backoff) and is redelivered after a short nack delay and the 1-2 s retryPolicy.
constexpr absl::Duration kOutage = absl::Seconds(40);
constexpr int kMaxDeliveryAttempts = 5;
constexpr int kRateRuleOutOfReach = 1000;
// Budget 15 s less its 3.75 s margin, then a 60 s redelivery delay (redelivery.initial_delay default):
// the first message is back at ~71 s after its publish, the last at ~79 s.
constexpr absl::Duration kDeliveredWithin = absl::Seconds(100);

TEST_F(ServiceIntegrationTest, LowRateOutageLongerThanFiveQuickRedeliveriesDeadLettersNothing) {
  RunOptions o;
  o.max_attempts = std::nullopt;  // the service's default: no attempt limit
  o.breaker = true;
  o.breaker_open_duration = "2s";
  // The failure-rate rule out of reach, as it is for a job that fires once a minute against a
  // subscription whose retryPolicy spaces redeliveries 10 s and more apart: only the consecutive-failure
  // rule (default 10) can open the circuit.
  o.breaker_minimum_requests = kRateRuleOutOfReach;
  o.max_extension = "15s";
  o.max_delivery_attempts = kMaxDeliveryAttempts;
  o.retry_policy_min = absl::Seconds(1);
  o.retry_policy_max = absl::Seconds(2);
  ASSERT_NO_FATAL_FAILURE(StartAll(o));

  // The backend goes away: connections are refused.
  const int port = backend_port_;
  backend_->Stop(SIGTERM);
  backend_.reset();
  const absl::Time down_since = absl::Now();

  std::vector<std::string> ids;
  for (int i = 0; i < kMessages; ++i) {
    if (i > 0) absl::SleepFor(kPublishGap);
    auto one = Publish(Numbered(absl::StrCat("run", i), 1));
    ASSERT_EQ(one.size(), 1u);
    ids.push_back(one[0]);
  }
  absl::SleepFor(down_since + kOutage - absl::Now());
  // The service saw the outage, and opened the circuit on consecutive failures.
  EXPECT_GT(MetricSum("schedsvc_retries_total").value_or(0), 0);
  EXPECT_EQ(MetricSum("schedsvc_circuit_state").value_or(0), 2);
  EXPECT_EQ(MetricSum("schedsvc_messages_dead_lettered_total").value_or(-1), 0);

  ASSERT_NO_FATAL_FAILURE(StartBackend(port));
  EXPECT_TRUE(WaitAllSucceeded(ids, kDeliveredWithin)) << testing::ReadFileOrEmpty(service_logs_.back());
  // Nothing reached the dead-letter topic, neither from Pub/Sub's policy nor from the service.
  EXPECT_TRUE(DeadLetters(1, absl::Seconds(2)).empty());
  EXPECT_EQ(MetricSum("schedsvc_messages_dead_lettered_total").value_or(-1), 0);
}

}  // namespace
}  // namespace schedsvc::service_it
