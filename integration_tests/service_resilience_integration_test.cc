// schedule-service under trouble: a backend slower than the ack deadline, a
// backend down for 30 s behind the circuit breaker, SIGTERM with 200 messages in flight, kill -9 mid-run.
// In every case no message is lost; the fixture checks the logs for the password (item i).
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "integration_tests/service_fixture.h"

namespace schedsvc::service_it {
namespace {

// d. Backend latency 3x the ack deadline: the lease is extended, so each message reaches the backend
// exactly once (an expired lease would make Pub/Sub redeliver it and the backend see it twice).
TEST_F(ServiceIntegrationTest, SlowBackendLeaseExtendedNoDuplicates) {
  RunOptions o;
  o.ack_deadline_seconds = 10;
  o.extension_step = "10s";
  o.backend_flags = {"--latency=30s"};
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  const std::vector<std::string> ids = Publish(Numbered("slow", 5));
  ASSERT_EQ(ids.size(), 5u);
  ASSERT_TRUE(WaitAllSucceeded(ids, absl::Seconds(60)));
  // Give a redelivery (had the lease lapsed at 10 s or 20 s) time to show up at the backend.
  absl::SleepFor(absl::Seconds(3));
  std::map<std::string, int> per_id;
  for (const BackendCall& c : Calls()) ++per_id[c.message_id];
  for (const std::string& id : ids) EXPECT_EQ(per_id[id], 1) << id;
  EXPECT_GE(MetricSum("schedsvc_lease_extensions_total").value_or(0), 5);
  EXPECT_EQ(MetricSum("schedsvc_lease_expiries_total").value_or(-1), 0);
}

// e. Backend down (503 for everything) for 30 s with the breaker on: messages are held, not
// dead-lettered, and all are delivered after recovery.
TEST_F(ServiceIntegrationTest, BackendDownBreakerHoldsThenDelivers) {
  RunOptions o;
  o.breaker = true;
  o.breaker_open_duration = "2s";
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(R"({"fail_rate": 1.0, "fail_status": 503})"));
  const absl::Time down_since = absl::Now();
  const std::vector<std::string> ids = Publish(Numbered("down", 100));
  ASSERT_EQ(ids.size(), 100u);
  double max_held = 0;
  double max_state = 0;
  while (absl::Now() < down_since + absl::Seconds(30)) {
    max_held = std::max(max_held, MetricSum("schedsvc_messages_held").value_or(0));
    max_state = std::max(max_state, MetricSum("schedsvc_circuit_state").value_or(0));
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_GT(max_held, 0) << "no message was ever held while the circuit was open";
  EXPECT_EQ(max_state, 2) << "the circuit never opened";
  EXPECT_TRUE(Successes().empty());
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(R"({"fail_rate": 0.0})"));
  EXPECT_TRUE(WaitAllSucceeded(ids, absl::Seconds(90)));
  EXPECT_TRUE(DeadLetters(1, absl::Seconds(2)).empty());
  EXPECT_EQ(MetricSum("schedsvc_messages_dead_lettered_total").value_or(-1), 0);
  EXPECT_EQ(ReadyStatus(), 200);
}

// f. SIGTERM with 200 messages in flight at a slow backend: the service exits 0 within its grace, and a
// second instance delivers whatever the first did not finish.
TEST_F(ServiceIntegrationTest, SigtermInFlightNothingLost) {
  RunOptions o;
  o.shutdown_grace = "2s";
  o.backend_flags = {"--latency=5s"};
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  const std::vector<std::string> ids = Publish(Numbered("term", 200));
  ASSERT_EQ(ids.size(), 200u);
  ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_messages_in_flight").value_or(0) >= 200; },
                      absl::Seconds(30)));
  const absl::Time stop_start = absl::Now();
  EXPECT_EQ(StopService(SIGTERM), 0);
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(15));
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(R"({"latency": "0s"})"));
  ASSERT_NO_FATAL_FAILURE(StartService());
  EXPECT_TRUE(WaitAllSucceeded(ids, absl::Seconds(60)));
}

// g. kill -9 mid-run, then a restart: every message still reaches the backend with success.
TEST_F(ServiceIntegrationTest, KillNineMidRunNothingLost) {
  RunOptions o;
  o.max_concurrency = 20;
  o.backend_flags = {"--latency=200ms"};
  ASSERT_NO_FATAL_FAILURE(StartAll(o));
  const std::vector<std::string> ids = Publish(Numbered("kill", 400));
  ASSERT_EQ(ids.size(), 400u);
  ASSERT_TRUE(WaitFor([&] { return Successes().size() >= 50; }, absl::Seconds(30)));
  EXPECT_NE(StopService(SIGKILL), 0);
  const std::size_t before = Successes().size();
  EXPECT_LT(before, ids.size()) << "everything finished before the kill; the test proves nothing";
  ASSERT_NO_FATAL_FAILURE(StartService());
  EXPECT_TRUE(WaitAllSucceeded(ids, absl::Seconds(90)));
}

}  // namespace
}  // namespace schedsvc::service_it
