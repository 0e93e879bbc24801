// Stream health against the official emulator: when a StreamingPull stream counts as connected. The
// emulator answers a stream on a missing subscription with NOT_FOUND after the client's first write
// has completed, and sends no headers on an idle stream of a good subscription (checked on gRPC 1.51):
// a missing subscription must never look connected, an idle good one must.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "integration_tests/pubsub_it_fixture.h"

namespace schedsvc::pubsub_it {
namespace {

// How long the health signal is sampled, and how often.
constexpr absl::Duration kObserveFor = absl::Seconds(3);
constexpr absl::Duration kSampleEvery = absl::Milliseconds(5);

class PubsubStreamHealthTest : public PubsubIntegrationTest {};

TEST_F(PubsubStreamHealthTest, MissingSubscriptionIsNeverHealthy) {
  const std::string subscription = absl::StrCat(kProject, "/subscriptions/missing-", ::testing::UnitTest::GetInstance()->random_seed());
  auto options = SubscriberFor(subscription, 4);
  options.reconnect_backoff = {absl::Milliseconds(10), absl::Milliseconds(50), 1.3, 1.0};
  auto subscriber = pubsub::MakeSubscriber(options, Direct());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  (*subscriber)->Start([](pubsub::Message, pubsub::AckHandle h) { std::move(h).Ack(); });
  int healthy_samples = 0;
  const absl::Time end = absl::Now() + kObserveFor;
  while (absl::Now() < end) {
    if ((*subscriber)->IsHealthy()) ++healthy_samples;
    absl::SleepFor(kSampleEvery);
  }
  EXPECT_EQ(healthy_samples, 0) << "a stream on a missing subscription counted as connected";
  const pubsub::SubscriberHealth health = (*subscriber)->Health();
  EXPECT_FALSE(health.healthy);
  EXPECT_NE(health.reason.find("NOT_FOUND"), std::string::npos) << health.reason;
  EXPECT_NE(health.reason.find(subscription), std::string::npos) << health.reason;
  (*subscriber)->Shutdown(absl::Seconds(5));
}

// An idle stream on a good subscription gets no headers from the emulator, yet counts as connected;
// a subscription created while the subscriber retries NOT_FOUND is picked up without a restart.
TEST_F(PubsubStreamHealthTest, SubscriptionCreatedLaterIsPickedUpAndAnIdleStreamIsHealthy) {
  constexpr int kAckDeadlineSeconds = 10;
  const std::string topic = MakeTopic("topic");
  const std::string subscription = absl::StrCat(kProject, "/subscriptions/later-",
                                                ::testing::UnitTest::GetInstance()->random_seed());
  std::vector<pubsub::StreamEvent> events;
  absl::Mutex mu;
  auto options = SubscriberFor(subscription, 2);
  options.permanent_failure_backoff = {absl::Seconds(1), absl::Seconds(2), 2.0, 0.0};
  options.on_stream_event = [&](const pubsub::StreamEvent& e) {
    absl::MutexLock lock(&mu);
    events.push_back(e);
  };
  auto subscriber = pubsub::MakeSubscriber(options, Direct());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  DeliveryLog log;
  (*subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    log.Record(m);
    std::move(h).Ack();
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock lock(&mu);
        return !events.empty();
      },
      absl::Seconds(10)));
  {
    absl::MutexLock lock(&mu);
    EXPECT_FALSE(events[0].connected);
    EXPECT_EQ(events[0].status.code(), absl::StatusCode::kNotFound) << events[0].status;
    EXPECT_TRUE(events[0].permanent);
  }
  google::pubsub::v1::Subscription s;
  s.set_name(subscription);
  s.set_topic(topic);
  s.set_ack_deadline_seconds(kAckDeadlineSeconds);
  ASSERT_TRUE(admin_->CreateSubscription(s).ok());
  // Idle (nothing published yet), and still healthy.
  ASSERT_TRUE(WaitFor([&] { return (*subscriber)->IsHealthy(); }, absl::Seconds(15)))
      << (*subscriber)->Health().reason;
  const auto ids = Publish(topic, Numbered("later", 3), Direct());
  EXPECT_TRUE(WaitFor([&] { return log.distinct() >= ids.size(); }, absl::Seconds(20)));
  (*subscriber)->Shutdown(absl::Seconds(5));
}

}  // namespace
}  // namespace schedsvc::pubsub_it
