// Stream health against the official emulator: when a StreamingPull stream counts as connected. The
// emulator answers a stream on a missing subscription with NOT_FOUND after the client's first write
// has completed, and sends no headers on an idle stream of a good subscription (checked on gRPC 1.51):
// a missing subscription must never look connected, an idle good one must.
#include <string>

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
  (*subscriber)->Shutdown(absl::Seconds(5));
}

}  // namespace
}  // namespace schedsvc::pubsub_it
