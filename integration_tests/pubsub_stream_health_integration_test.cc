// Stream health against the official emulator: when a StreamingPull stream counts as connected, and
// reading pausing while too many messages wait for flow control. The
// emulator answers a stream on a missing subscription with NOT_FOUND after the client's first write
// has completed, and sends no headers on an idle stream of a good subscription (checked on gRPC 1.51):
// a missing subscription must never look connected, an idle good one must.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "integration_tests/pubsub_it_fixture.h"

namespace schedsvc::pubsub_it {
namespace {

// How long the health signal is sampled, and how often.
constexpr absl::Duration kObserveFor = absl::Seconds(3);
constexpr absl::Duration kSampleEvery = absl::Milliseconds(5);
// The emulator's largest StreamingPull response.
constexpr int kEmulatorMessagesPerResponse = 100;

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

// The queue of messages waiting for flow control is bounded by pausing reads on the gRPC stream.
TEST_F(PubsubStreamHealthTest, ReadingPausesWhileTooManyMessagesWaitAndResumes) {
  constexpr int kMaxOutstanding = 5;
  constexpr int kMessages = 300;
  constexpr int kAckDeadlineSeconds = 60;
  const std::string topic = MakeTopic("topic");
  const std::string subscription = MakeSubscription("sub", topic, kAckDeadlineSeconds);
  auto options = SubscriberFor(subscription, 1);
  options.max_outstanding_messages = kMaxOutstanding;
  options.lease_extension_step = absl::Seconds(kAckDeadlineSeconds);
  auto subscriber = pubsub::MakeSubscriber(options, Direct());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  absl::Mutex mu;
  std::vector<pubsub::AckHandle> held;
  DeliveryLog log;
  (*subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    log.Record(m);
    absl::MutexLock lock(&mu);
    held.push_back(std::move(h));
  });
  ASSERT_TRUE(WaitFor([&] { return (*subscriber)->IsHealthy(); }, absl::Seconds(15)));
  const auto ids = Publish(topic, Numbered("held", kMessages), Direct());
  ASSERT_TRUE(WaitFor([&] { return (*subscriber)->stats().reading_paused; }, absl::Seconds(20)))
      << "waiting: " << (*subscriber)->stats().messages_waiting;
  std::int64_t max_waiting = 0;
  // Settle what the handler holds, a few at a time, until everything has been delivered.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (log.distinct() < ids.size() && absl::Now() < deadline) {
    max_waiting = std::max(max_waiting, (*subscriber)->stats().messages_waiting);
    std::vector<pubsub::AckHandle> batch;
    {
      absl::MutexLock lock(&mu);
      batch = std::move(held);
      held.clear();
    }
    for (auto& h : batch) std::move(h).Ack();
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(log.distinct(), ids.size());
  // At most the response that crossed the bound arrives after it (the emulator ignores the stream's flow
  // control settings and sends up to 100 messages per response); unbounded, hundreds would wait.
  EXPECT_LT(max_waiting, kMaxOutstanding + kEmulatorMessagesPerResponse);
  // Shutting down while reading is paused ends the stream promptly.
  Publish(topic, Numbered("at-shutdown", kMessages), Direct());
  ASSERT_TRUE(WaitFor([&] { return (*subscriber)->stats().reading_paused; }, absl::Seconds(20)));
  const absl::Time shutdown_start = absl::Now();
  (*subscriber)->Shutdown(absl::Seconds(10));
  EXPECT_LT(absl::Now() - shutdown_start, absl::Seconds(5));
  absl::MutexLock lock(&mu);
  for (auto& h : held) std::move(h).Ack();
  held.clear();
}

}  // namespace
}  // namespace schedsvc::pubsub_it
