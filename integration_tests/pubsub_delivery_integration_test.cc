// Our Pub/Sub client against the official emulator: bulk exactly-once delivery and ack, nack with
// delay, dead-lettering after 5 attempts, and shutdown handing leased messages back at once.
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/pubsub_it_fixture.h"

namespace schedsvc::pubsub_it {
namespace {

using ::testing::ElementsAre;

class PubsubDeliveryTest : public PubsubIntegrationTest {};

// Its own suite, so its own emulator.
class PubsubShutdownTest : public PubsubIntegrationTest {};

// 10,000 messages with attributes reach a 4-stream subscriber exactly once each, are acked, and the
// subscription is empty afterwards.
TEST_F(PubsubDeliveryTest, TenThousandMessagesDeliveredOnceAndAcked) {
  constexpr int kMessages = 10000;
  const std::string topic = MakeTopic("topic");
  // 10 s, Pub/Sub's minimum: a message whose ack were lost would come back 10 s after delivery.
  const std::string subscription = MakeSubscription("sub", topic, 10);
  const std::vector<std::string> ids = Publish(topic, Numbered("bulk", kMessages), Direct());
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kMessages));

  DeliveryLog log;
  std::atomic<int> bad_attributes{0};
  auto options = SubscriberFor(subscription, 4);
  options.lease_extension_step = absl::Seconds(10);
  auto subscriber = pubsub::MakeSubscriber(options, Direct());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  (*subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    int seq = -1;
    const bool attrs_ok = m.attributes.size() == 2 && m.attributes["prefix"] == "bulk" &&
                          absl::SimpleAtoi(m.attributes["seq"], &seq) && m.data == absl::StrCat("bulk-", seq);
    if (!attrs_ok) ++bad_attributes;
    log.Record(m);
    std::move(h).Ack();
  });
  ASSERT_TRUE(WaitFor([&] { return log.distinct() >= kMessages; }, absl::Seconds(120)))
      << "received " << log.distinct() << " of " << kMessages;
  // Keep receiving past the ack deadline: an ack that did not take would show up as a redelivery.
  absl::SleepFor(absl::Seconds(12));
  const auto stats = (*subscriber)->stats();
  (*subscriber)->Shutdown(absl::Seconds(10));
  subscriber->reset();  // the emulator forgets cancelled streams only when the connection closes

  EXPECT_EQ(bad_attributes.load(), 0);
  EXPECT_EQ(log.distinct(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(log.total(), static_cast<std::size_t>(kMessages)) << "some message was delivered twice";
  const std::set<std::string> published(ids.begin(), ids.end());
  for (const auto& [id, n] : log.counts()) EXPECT_TRUE(published.count(id)) << "unexpected message " << id;
  EXPECT_EQ(stats.ack_ids_failed, 0);
  EXPECT_EQ(stats.messages_leased, 0);
  // Emptiness is shown by the 12 s past the 10 s ack deadline without a redelivery above. A sentinel
  // Pull after Shutdown is not used here: with 4 cancelled streams the emulator kept routing new
  // messages to them (see docs/pubsub-client.md, emulator caveats).
}

// NackWithDelay(5s) makes the message come back, and not before ~5 s (the server works in seconds).
TEST_F(PubsubDeliveryTest, NackWithDelayRedeliversAfterTheDelay) {
  const std::string topic = MakeTopic("topic");
  // A long ack deadline: had the nack been ignored, the message would not return within the wait.
  const std::string subscription = MakeSubscription("sub", topic, 60);
  const auto ids = Publish(topic, Numbered("delay", 1), Direct());
  ASSERT_EQ(ids.size(), 1u);

  DeliveryLog log;
  auto subscriber = pubsub::MakeSubscriber(SubscriberFor(subscription, 1), Direct());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  (*subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    log.Record(m);
    if (log.count(m.message_id) == 1) {
      std::move(h).NackWithDelay(absl::Seconds(5));
    } else {
      std::move(h).Ack();
    }
  });
  ASSERT_TRUE(WaitFor([&] { return log.count(ids[0]) >= 2; }, absl::Seconds(40)))
      << "not redelivered; deliveries: " << log.count(ids[0]);
  (*subscriber)->Shutdown(absl::Seconds(10));
  const auto times = log.times(ids[0]);
  ASSERT_GE(times.size(), 2u);
  EXPECT_GE(times[1] - times[0], absl::Milliseconds(4500)) << "redelivered after " << times[1] - times[0];
}

// A subscription with a dead-letter policy of 5 attempts: the message nacked 5 times (delivery_attempt
// 1..5) arrives on the dead-letter topic with Pub/Sub's dead-letter attributes.
TEST_F(PubsubDeliveryTest, NackedFiveTimesGoesToDeadLetterTopic) {
  const std::string topic = MakeTopic("topic");
  const std::string dead_letter_topic = MakeTopic("dlq");
  const std::string dead_letter_sub = MakeSubscription("dlq-sub", dead_letter_topic, 60);
  const std::string subscription = MakeSubscription("sub", topic, 10, dead_letter_topic, 5);
  const auto ids = Publish(topic, Numbered("dead", 1), Direct());
  ASSERT_EQ(ids.size(), 1u);

  absl::Mutex mu;
  std::vector<int> attempts;
  auto subscriber = pubsub::MakeSubscriber(SubscriberFor(subscription, 1), Direct());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  (*subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    {
      absl::MutexLock lock(&mu);
      attempts.push_back(m.delivery_attempt);
    }
    std::move(h).Nack();
  });

  DeliveryLog dead_log;
  absl::Mutex dead_mu;
  pubsub::Message dead_message;
  auto dead_subscriber = pubsub::MakeSubscriber(SubscriberFor(dead_letter_sub, 1), Direct());
  ASSERT_TRUE(dead_subscriber.ok()) << dead_subscriber.status();
  (*dead_subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    {
      absl::MutexLock lock(&dead_mu);
      dead_message = m;
    }
    dead_log.Record(m);
    std::move(h).Ack();
  });

  ASSERT_TRUE(WaitFor([&] { return dead_log.total() >= 1; }, absl::Seconds(60))) << "nothing dead-lettered";
  (*subscriber)->Shutdown(absl::Seconds(10));
  (*dead_subscriber)->Shutdown(absl::Seconds(10));
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(attempts, ElementsAre(1, 2, 3, 4, 5));
  }
  absl::MutexLock lock(&dead_mu);
  EXPECT_EQ(dead_message.data, "dead-0");
  EXPECT_EQ(dead_message.attributes["prefix"], "dead");
  EXPECT_EQ(dead_message.attributes["CloudPubSubDeadLetterSourceDeliveryCount"], "5");
  EXPECT_THAT(dead_message.attributes["CloudPubSubDeadLetterSourceSubscription"],
              ::testing::EndsWith(subscription.substr(subscription.rfind('/') + 1)));
  EXPECT_TRUE(dead_message.attributes.count("CloudPubSubDeadLetterSourceTopicPublishTime"));
}

// Shutdown with 100 messages leased (the handler holds them) nacks them: a second subscriber gets all
// 100 within 2 s, long before the 60 s ack deadline would have released them.
TEST_F(PubsubShutdownTest, ShutdownHandsLeasedMessagesToAnotherSubscriber) {
  constexpr int kMessages = 100;
  const std::string topic = MakeTopic("topic");
  const std::string subscription = MakeSubscription("sub", topic, 60);
  const auto ids = Publish(topic, Numbered("held", kMessages), Direct());
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kMessages));

  absl::Mutex mu;
  std::vector<pubsub::AckHandle> held;
  auto first_options = SubscriberFor(subscription, 2);
  auto first = pubsub::MakeSubscriber(first_options, Direct());
  ASSERT_TRUE(first.ok()) << first.status();
  (*first)->Start([&](pubsub::Message, pubsub::AckHandle h) {
    absl::MutexLock lock(&mu);
    held.push_back(std::move(h));
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock lock(&mu);
        return held.size() >= kMessages;
      },
      absl::Seconds(30)));

  DeliveryLog second_log;
  auto second = pubsub::MakeSubscriber(SubscriberFor(subscription, 2), Direct());
  ASSERT_TRUE(second.ok()) << second.status();
  (*second)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    second_log.Record(m);
    std::move(h).Ack();
  });
  ASSERT_TRUE(WaitFor([&] { return (*second)->IsHealthy(); }, absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_EQ(second_log.total(), 0u) << "the second subscriber got messages still leased by the first";

  const absl::Time shutdown_at = absl::Now();
  // The first subscriber stays alive (its channel open): its streams are closed cleanly, so the
  // emulator hands nothing more to them (docs/pubsub-client.md, emulator caveats).
  (*first)->Shutdown(absl::Seconds(10));
  // Wait well past 2 s so a failure reports how long it actually took.
  const bool all = WaitFor([&] { return second_log.distinct() >= kMessages; }, absl::Seconds(30));
  const absl::Duration took = absl::Now() - shutdown_at;
  ASSERT_TRUE(all) << "second subscriber got " << second_log.distinct() << " of " << kMessages;
  EXPECT_LE(took, absl::Seconds(2)) << "took " << took;
  (*second)->Shutdown(absl::Seconds(10));
  {
    absl::MutexLock lock(&mu);
    held.clear();  // settling after shutdown does nothing
  }
  for (const auto& id : ids) EXPECT_EQ(second_log.count(id), 1) << id;
}

}  // namespace
}  // namespace schedsvc::pubsub_it

