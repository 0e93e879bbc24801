// The connection cut mid-stream: a loopback TCP proxy sits between our subscriber and the official
// emulator and is stopped (every connection closed) and restarted on the same port. The subscriber must
// report unhealthy while cut off, reconnect by itself, and lose no message — including messages
// published (directly to the emulator) while it was cut off.
#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/pubsub_it_fixture.h"
#include "testing/tcp_proxy.h"

namespace schedsvc::pubsub_it {
namespace {


class PubsubReconnectTest : public PubsubIntegrationTest {};

TEST_F(PubsubReconnectTest, CutConnectionReconnectsAndLosesNothing) {
  constexpr int kPerPhase = 300;
  constexpr int kAckDeadlineSeconds = 10;
  const std::string topic = MakeTopic("topic");
  const std::string subscription = MakeSubscription("sub", topic, kAckDeadlineSeconds);

  testing::TcpProxy proxy(0, emulator_->port());
  ASSERT_TRUE(proxy.Start().ok());
  pubsub::ConnectionOptions via_proxy = Direct();
  via_proxy.endpoint = absl::StrCat("127.0.0.1:", proxy.port());

  DeliveryLog log;
  auto options = SubscriberFor(subscription, 2);
  options.lease_extension_step = absl::Seconds(kAckDeadlineSeconds);
  // Keep the reconnect attempts frequent so the test does not wait on a long backoff.
  options.reconnect_backoff = {absl::Milliseconds(100), absl::Seconds(2), 1.3, 1.0};
  auto subscriber = pubsub::MakeSubscriber(options, via_proxy);
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  (*subscriber)->Start([&](pubsub::Message m, pubsub::AckHandle h) {
    log.Record(m);
    std::move(h).Ack();
  });
  ASSERT_TRUE(WaitFor([&] { return (*subscriber)->IsHealthy(); }, absl::Seconds(30)));

  // Phase 1: connected. Publish and keep publishing while the cut happens, so it lands mid-stream.
  std::vector<std::string> ids = Publish(topic, Numbered("before", kPerPhase), Direct());
  ASSERT_TRUE(WaitFor([&] { return log.distinct() >= ids.size(); }, absl::Seconds(30)));
  std::vector<std::string> during_cut;
  {
    std::thread publisher([&] { during_cut = Publish(topic, Numbered("cut", kPerPhase), Direct()); });
    proxy.Stop();
    publisher.join();
  }
  ids.insert(ids.end(), during_cut.begin(), during_cut.end());

  // Cut off: unhealthy, and stays so while the proxy is down.
  ASSERT_TRUE(WaitFor([&] { return !(*subscriber)->IsHealthy(); }, absl::Seconds(10)))
      << "still healthy with every connection closed";
  const auto down_more = Publish(topic, Numbered("down", kPerPhase), Direct());
  ids.insert(ids.end(), down_more.begin(), down_more.end());
  const absl::Time down_until = absl::Now() + absl::Seconds(3);
  while (absl::Now() < down_until) {
    ASSERT_FALSE((*subscriber)->IsHealthy()) << "healthy while the proxy is down";
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int accepted_before_restart = proxy.accepted();

  // Restart on the same port: the subscriber reconnects by itself.
  ASSERT_TRUE(proxy.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*subscriber)->IsHealthy(); }, absl::Seconds(60)))
      << "did not reconnect after the proxy came back";
  EXPECT_GT(proxy.accepted(), accepted_before_restart);
  const auto after = Publish(topic, Numbered("after", kPerPhase), Direct());
  ids.insert(ids.end(), after.begin(), after.end());
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(4 * kPerPhase));

  // Every id arrives at least once.
  auto missing = [&] {
    std::size_t n = 0;
    for (const auto& id : ids) n += log.count(id) == 0 ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return missing() == 0; }, absl::Seconds(60))) << missing() << " never arrived";
  const auto stats = (*subscriber)->stats();
  EXPECT_GE(stats.stream_reconnects, 2);

  // ... and is eventually acked: after an ack deadline with nothing new arriving, the subscription holds
  // nothing (a message whose ack was lost in the cut would have been redelivered and acked again).
  std::size_t total = log.total();
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::SleepFor(absl::Seconds(kAckDeadlineSeconds + 2));
        const std::size_t now = log.total();
        const bool quiet = now == total;
        total = now;
        return quiet;
      },
      absl::Seconds(90)))
      << "redeliveries kept coming";
  (*subscriber)->Shutdown(absl::Seconds(10));
  // The quiet ack deadline above is the proof that everything was acked; a sentinel Pull after
  // Shutdown is not used (the emulator keeps routing messages to cancelled streams, see
  // docs/pubsub-client.md).
}

}  // namespace
}  // namespace schedsvc::pubsub_it
