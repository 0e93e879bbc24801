// Lease extension against the official emulator: a message held 3x the subscription's 10 s ack deadline
// is not redelivered while the subscriber extends its lease, and is redelivered when extension is off.
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "integration_tests/pubsub_it_fixture.h"

namespace schedsvc::pubsub_it {
namespace {

constexpr int kAckDeadlineSeconds = 10;

class PubsubLeaseTest : public PubsubIntegrationTest {
 protected:
  // Starts a subscriber that records deliveries and keeps the first handle of every message (later
  // deliveries are acked at once, so a redelivery is counted but not held).
  void StartHolding(pubsub::SubscriberOptions options) {
    auto subscriber = pubsub::MakeSubscriber(options, Direct());
    ASSERT_TRUE(subscriber.ok()) << subscriber.status();
    subscriber_ = *std::move(subscriber);
    subscriber_->Start([this](pubsub::Message m, pubsub::AckHandle h) {
      log_.Record(m);
      absl::MutexLock lock(&mu_);
      if (!held_) {
        held_.emplace(std::move(h));
      } else {
        std::move(h).Ack();
      }
    });
  }

  void AckHeld() {
    absl::MutexLock lock(&mu_);
    ASSERT_TRUE(held_.has_value());
    std::move(*held_).Ack();
    held_.reset();
  }

  DeliveryLog log_;
  absl::Mutex mu_;
  std::optional<pubsub::AckHandle> held_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<pubsub::Subscriber> subscriber_;
};

TEST_F(PubsubLeaseTest, HeldThreeDeadlinesWithExtensionIsNotRedelivered) {
  const std::string topic = MakeTopic("topic");
  const std::string subscription = MakeSubscription("sub", topic, kAckDeadlineSeconds);
  const auto ids = Publish(topic, Numbered("lease", 1), Direct());
  ASSERT_EQ(ids.size(), 1u);
  auto options = SubscriberFor(subscription, 1);
  options.lease_extension_step = absl::Seconds(kAckDeadlineSeconds);
  StartHolding(options);
  ASSERT_TRUE(WaitFor([&] { return log_.count(ids[0]) >= 1; }, absl::Seconds(30)));

  // Hold for 3 ack deadlines, checking all along that nothing came back.
  const absl::Time until = absl::Now() + absl::Seconds(3 * kAckDeadlineSeconds);
  while (absl::Now() < until) {
    ASSERT_EQ(log_.count(ids[0]), 1) << "redelivered while the lease was being extended";
    absl::SleepFor(absl::Milliseconds(200));
  }
  const auto stats = subscriber_->stats();
  EXPECT_GE(stats.lease_extensions, 3);
  EXPECT_EQ(stats.lease_expiries, 0);
  AckHeld();
  // The ack takes: nothing comes back after a further ack deadline.
  absl::SleepFor(absl::Seconds(kAckDeadlineSeconds + 2));
  EXPECT_EQ(log_.count(ids[0]), 1);
  subscriber_->Shutdown(absl::Seconds(10));
  subscriber_.reset();  // the emulator forgets cancelled streams only when the connection closes
  EXPECT_TRUE(PullAllExceptSentinel(topic, subscription).empty());
}

TEST_F(PubsubLeaseTest, HeldWithoutExtensionIsRedeliveredAfterTheDeadline) {
  const std::string topic = MakeTopic("topic");
  const std::string subscription = MakeSubscription("sub", topic, kAckDeadlineSeconds);
  const auto ids = Publish(topic, Numbered("nolease", 1), Direct());
  ASSERT_EQ(ids.size(), 1u);
  auto options = SubscriberFor(subscription, 1);
  options.lease_extension_step = absl::Seconds(kAckDeadlineSeconds);
  options.max_lease_extension = absl::ZeroDuration();
  StartHolding(options);
  ASSERT_TRUE(WaitFor([&] { return log_.count(ids[0]) >= 2; }, absl::Seconds(3 * kAckDeadlineSeconds)))
      << "not redelivered within 3 ack deadlines without lease extension";
  const auto times = log_.times(ids[0]);
  ASSERT_GE(times.size(), 2u);
  // It came back because the deadline passed, not earlier.
  EXPECT_GE(times[1] - times[0], absl::Seconds(kAckDeadlineSeconds - 1)) << times[1] - times[0];
  EXPECT_EQ(subscriber_->stats().lease_extensions, 0);
  AckHeld();
  subscriber_->Shutdown(absl::Seconds(10));
}

}  // namespace
}  // namespace schedsvc::pubsub_it
