#include "src/service/subscriber_event_log.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "prometheus/text_serializer.h"
#include "testing/fake_clock.h"

namespace schedsvc::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubscription[] = "projects/p/subscriptions/missing";
constexpr char kEndpoint[] = "127.0.0.1:8085";
constexpr absl::Duration kInterval = absl::Seconds(30);

pubsub::StreamEvent Failure(int stream, absl::Status status, int attempt, bool permanent, absl::Duration retry_in) {
  pubsub::StreamEvent e;
  e.stream = stream;
  e.status = std::move(status);
  e.attempt = attempt;
  e.permanent = permanent;
  e.retry_in = retry_in;
  return e;
}

class SubscriberEventLogTest : public ::testing::Test {
 protected:
  std::vector<nlohmann::json> Lines() {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
  std::string Scrape() { return prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()); }

  testing::FakeClock clock_;
  std::ostringstream out_;
  JsonLogger logger_{out_, clock_};
  metrics::ServiceMetrics metrics_{kSubscription, {}};
  SubscriberEventLog log_{kSubscription, kEndpoint, logger_, metrics_, clock_, kInterval};
};

TEST_F(SubscriberEventLogTest, FirstFailureIsLoggedAtOnceWithCodeSubscriptionEndpointAndAttempt) {
  log_.OnStreamEvent(Failure(0, absl::NotFoundError("Subscription does not exist"), 1, true, absl::Seconds(10)));
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["severity"], "ERROR");
  EXPECT_EQ(lines[0]["code"], "NOT_FOUND");
  EXPECT_EQ(lines[0]["error"], "Subscription does not exist");
  EXPECT_EQ(lines[0]["subscription"], kSubscription);
  EXPECT_EQ(lines[0]["pubsub_endpoint"], kEndpoint);
  EXPECT_EQ(lines[0]["stream"], 0);
  EXPECT_EQ(lines[0]["attempt"], 1);
  EXPECT_EQ(lines[0]["permanent"], true);
  EXPECT_EQ(lines[0]["retry_in_s"], 10.0);
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_stream_failures_total{code=\"NOT_FOUND\"} 1"));
}

TEST_F(SubscriberEventLogTest, RepeatsAreRateLimitedPerStreamAndCountedInTheNextLine) {
  const absl::Status unavailable = absl::UnavailableError("connection refused");
  log_.OnStreamEvent(Failure(0, unavailable, 1, false, absl::Milliseconds(100)));
  for (int attempt = 2; attempt <= 5; ++attempt) {
    clock_.AdvanceTime(absl::Seconds(1));
    log_.OnStreamEvent(Failure(0, unavailable, attempt, false, absl::Seconds(1)));
  }
  // Another stream has its own limit.
  log_.OnStreamEvent(Failure(1, unavailable, 1, false, absl::Milliseconds(100)));
  EXPECT_EQ(Lines().size(), 2u);
  clock_.AdvanceTime(kInterval);
  log_.OnStreamEvent(Failure(0, unavailable, 6, false, absl::Seconds(2)));
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["severity"], "WARNING");
  EXPECT_EQ(lines[2]["attempt"], 6);
  EXPECT_EQ(lines[2]["suppressed"], 4);
  // Every failure is counted, logged or not.
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_stream_failures_total{code=\"UNAVAILABLE\"} 7"));
}

// Lines are limited by time only: neither a new code nor a failure reported as attempt 1 (a stream that
// served, failing again) gets a line within the interval; the next line counts them.
TEST_F(SubscriberEventLogTest, NeitherANewCodeNorAFirstAttemptBypassesTheInterval) {
  log_.OnStreamEvent(Failure(0, absl::UnavailableError("down"), 1, false, absl::Seconds(1)));
  clock_.AdvanceTime(absl::Seconds(5));
  log_.OnStreamEvent(Failure(0, absl::NotFoundError("gone"), 2, true, absl::Seconds(10)));
  clock_.AdvanceTime(absl::Seconds(5));
  log_.OnStreamEvent(Failure(0, absl::UnavailableError("upstream reset"), 1, false, absl::ZeroDuration()));
  EXPECT_EQ(Lines().size(), 1u);
  clock_.AdvanceTime(kInterval);
  log_.OnStreamEvent(Failure(0, absl::UnavailableError("upstream reset"), 1, false, absl::ZeroDuration()));
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["suppressed"], 2);
}

TEST_F(SubscriberEventLogTest, RecoveryAfterFailuresThatWaitedIsLogged) {
  log_.OnStreamEvent(Failure(0, absl::UnavailableError("down"), 1, false, absl::Seconds(1)));
  log_.OnStreamEvent(Failure(0, absl::NotFoundError("gone"), 2, true, absl::Seconds(10)));
  pubsub::StreamEvent connected;
  connected.stream = 0;
  connected.connected = true;
  connected.attempt = 2;
  log_.OnStreamEvent(connected);
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["message"], "StreamingPull stream connected after failures");
  EXPECT_EQ(lines[1]["failed_attempts"], 2);
  EXPECT_EQ(lines[1]["suppressed"], 1);
  // A connection without failures before it is not news, nor one after a routine reopen at once.
  log_.OnStreamEvent(connected);
  clock_.AdvanceTime(kInterval);
  log_.OnStreamEvent(Failure(0, absl::UnavailableError("server closed the stream"), 1, false, absl::ZeroDuration()));
  connected.attempt = 1;
  log_.OnStreamEvent(connected);
  lines = Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["severity"], "INFO");
}

TEST_F(SubscriberEventLogTest, AStreamEndedCleanlyIsLoggedButNotCountedAsAFailure) {
  log_.OnStreamEvent(Failure(0, absl::OkStatus(), 1, false, absl::ZeroDuration()));
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["severity"], "INFO");
  EXPECT_EQ(lines[0]["message"], "StreamingPull stream ended by the server");
  EXPECT_THAT(Scrape(), Not(HasSubstr("code=\"OK\"")));
}

TEST_F(SubscriberEventLogTest, AckFailuresAreCountedByRpcAndCodeAndLogged) {
  pubsub::AckFailureEvent e;
  e.rpc = pubsub::AckFailureEvent::Rpc::kAcknowledge;
  e.status = absl::UnavailableError("down");
  e.ack_ids = 5;
  log_.OnAckFailure(e);
  log_.OnAckFailure(e);  // within the interval: counted, not logged
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["rpc"], "acknowledge");
  EXPECT_EQ(lines[0]["code"], "UNAVAILABLE");
  EXPECT_EQ(lines[0]["ack_ids"], 5);
  EXPECT_THAT(Scrape(), HasSubstr("schedsvc_ack_failures_total{code=\"UNAVAILABLE\",rpc=\"acknowledge\"} 10"));
}

}  // namespace
}  // namespace schedsvc::service
