// PubsubIntegrationTest: the fixture shared by the Pub/Sub client integration tests. One official
// emulator per test suite (on a free loopback port); each test gets its own topic and subscription
// names, an AdminClient, and helpers to publish, to wait with a deadline, and to prove a subscription
// empty. Header-only; used by integration_tests/pubsub_*_integration_test.cc only.
#ifndef SCHEDSVC_INTEGRATION_TESTS_PUBSUB_IT_FIXTURE_H_
#define SCHEDSVC_INTEGRATION_TESTS_PUBSUB_IT_FIXTURE_H_

#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "integration_tests/sentinel_drain.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"
#include "src/pubsub/subscriber.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::pubsub_it {

inline constexpr char kProject[] = "projects/schedsvc-it";

// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return done();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// Thread-safe record of what a handler saw: deliveries per message id and when each arrived.
class DeliveryLog {
 public:
  void Record(const pubsub::Message& m) {
    absl::MutexLock lock(&mu_);
    ++count_[m.message_id];
    times_[m.message_id].push_back(absl::Now());
    ++total_;
  }
  std::size_t distinct() const {
    absl::MutexLock lock(&mu_);
    return count_.size();
  }
  std::size_t total() const {
    absl::MutexLock lock(&mu_);
    return total_;
  }
  int count(const std::string& id) const {
    absl::MutexLock lock(&mu_);
    auto it = count_.find(id);
    return it == count_.end() ? 0 : it->second;
  }
  std::vector<absl::Time> times(const std::string& id) const {
    absl::MutexLock lock(&mu_);
    auto it = times_.find(id);
    return it == times_.end() ? std::vector<absl::Time>{} : it->second;
  }
  std::map<std::string, int> counts() const {
    absl::MutexLock lock(&mu_);
    return count_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> count_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Time>> times_ ABSL_GUARDED_BY(mu_);
  std::size_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

class PubsubIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = testing::PubsubEmulator::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(emulator_, nullptr) << "emulator did not start";
    admin_ = pubsub::MakeAdminClient(Direct());
  }

  // Talks to the emulator directly, plaintext.
  static pubsub::ConnectionOptions Direct() {
    pubsub::ConnectionOptions c;
    c.endpoint = emulator_->host_port();
    c.plaintext = true;
    c.rpc_timeout = absl::Seconds(10);
    return c;
  }

  // A name unique to this test: "projects/schedsvc-it/<kind>/<test name>-<suffix>".
  static std::string Name(const std::string& kind, const std::string& suffix) {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : test) {
      if (c == '/') c = '-';  // parameterised test names
    }
    return absl::StrCat(kProject, "/", kind, "/t-", test, "-", suffix);
  }

  std::string MakeTopic(const std::string& suffix) {
    const std::string topic = Name("topics", suffix);
    auto created = admin_->CreateTopic(topic);
    EXPECT_TRUE(created.ok()) << created.status();
    return topic;
  }

  // Creates a subscription on `topic`; `dead_letter_topic` non-empty adds a dead-letter policy.
  std::string MakeSubscription(const std::string& suffix, const std::string& topic, int ack_deadline_seconds,
                               const std::string& dead_letter_topic = "", int max_delivery_attempts = 5) {
    google::pubsub::v1::Subscription s;
    s.set_name(Name("subscriptions", suffix));
    s.set_topic(topic);
    s.set_ack_deadline_seconds(ack_deadline_seconds);
    if (!dead_letter_topic.empty()) {
      s.mutable_dead_letter_policy()->set_dead_letter_topic(dead_letter_topic);
      s.mutable_dead_letter_policy()->set_max_delivery_attempts(max_delivery_attempts);
    }
    auto created = admin_->CreateSubscription(s);
    EXPECT_TRUE(created.ok()) << created.status();
    return s.name();
  }

  // Publishes `messages` through our Publisher over `connection`; returns the ids in order.
  static std::vector<std::string> Publish(const std::string& topic, std::vector<pubsub::OutgoingMessage> messages,
                                          const pubsub::ConnectionOptions& connection) {
    pubsub::PublisherOptions options;
    options.topic = topic;
    auto publisher = pubsub::MakePublisher(options, connection);
    EXPECT_TRUE(publisher.ok()) << publisher.status();
    if (!publisher.ok()) return {};
    std::vector<std::future<absl::StatusOr<std::string>>> futures;
    futures.reserve(messages.size());
    for (auto& m : messages) futures.push_back((*publisher)->Publish(std::move(m)));
    (*publisher)->Flush();
    std::vector<std::string> ids;
    for (auto& f : futures) {
      auto id = f.get();
      EXPECT_TRUE(id.ok()) << id.status();
      if (id.ok()) ids.push_back(*std::move(id));
    }
    (*publisher)->Shutdown();
    return ids;
  }

  // `n` messages with data "<prefix>-<i>" and attributes {seq: i, prefix: prefix}.
  static std::vector<pubsub::OutgoingMessage> Numbered(const std::string& prefix, int n) {
    std::vector<pubsub::OutgoingMessage> out;
    out.reserve(n);
    for (int i = 0; i < n; ++i) {
      out.push_back(pubsub::OutgoingMessage{absl::StrCat(prefix, "-", i),
                                            {{"seq", absl::StrCat(i)}, {"prefix", prefix}}, ""});
    }
    return out;
  }

  static pubsub::SubscriberOptions SubscriberFor(const std::string& subscription, int streams) {
    pubsub::SubscriberOptions o;
    o.subscription = subscription;
    o.streams = streams;
    return o;
  }

  // Proves `subscription` holds nothing deliverable but a sentinel published now (sentinel_drain.h);
  // returns the ids of everything else pulled.
  std::vector<std::string> PullAllExceptSentinel(const std::string& topic, const std::string& subscription) {
    auto ids = Publish(topic, {pubsub::OutgoingMessage{"sentinel", {{"sentinel", "1"}}, ""}}, Direct());
    EXPECT_EQ(ids.size(), 1u);
    const auto report = integration::DrainUntilSentinel(*admin_, subscription, ids.empty() ? "" : ids[0]);
    EXPECT_TRUE(report.sentinel_seen) << "emptiness is not proven: " << report.Describe();
    return report.others;
  }

  static testing::PubsubEmulator* emulator_;
  std::unique_ptr<pubsub::AdminClient> admin_;
};

inline testing::PubsubEmulator* PubsubIntegrationTest::emulator_ = nullptr;

}  // namespace schedsvc::pubsub_it

#endif  // SCHEDSVC_INTEGRATION_TESTS_PUBSUB_IT_FIXTURE_H_
