// The Pub/Sub side of the cloud-scheduler-emulator integration tests (scheduler_grpc_ and
// scheduler_gcloud_integration_test.cc): the official emulator on a free loopback port, the topic their
// jobs publish to, a pull subscription on it, and the admin client that made them, to pull what a run
// published. Header-only.
#ifndef SCHEDSVC_INTEGRATION_TESTS_SCHEDULER_PUBSUB_TARGET_H_
#define SCHEDSVC_INTEGRATION_TESTS_SCHEDULER_PUBSUB_TARGET_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "src/pubsub/admin_client.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::scheduler_it {

// The topic's and the subscription's ids in the test's project (gcloud's --topic takes the topic id).
inline constexpr char kTopicId[] = "ticks";
inline constexpr char kSubscriptionId[] = "ticks-sub";

struct PubsubTarget {
  std::unique_ptr<testing::PubsubEmulator> emulator;
  // Declared after the emulator: destroyed before it.
  std::unique_ptr<pubsub::AdminClient> admin;
  // projects/<project>/topics/ticks
  std::string topic;
  // projects/<project>/subscriptions/ticks-sub, on `topic`
  std::string subscription;
};

// Starts the emulator, then creates the topic and the subscription in `project`.
inline absl::StatusOr<PubsubTarget> StartPubsubTarget(const std::string& project) {
  absl::StatusOr<std::unique_ptr<testing::PubsubEmulator>> emulator = testing::PubsubEmulator::Start();
  if (!emulator.ok()) return emulator.status();
  PubsubTarget target;
  target.emulator = *std::move(emulator);
  pubsub::ConnectionOptions conn;
  conn.endpoint = target.emulator->host_port();
  conn.plaintext = true;
  target.admin = pubsub::MakeAdminClient(conn);
  target.topic = absl::StrCat("projects/", project, "/topics/", kTopicId);
  target.subscription = absl::StrCat("projects/", project, "/subscriptions/", kSubscriptionId);
  if (auto topic = target.admin->CreateTopic(target.topic); !topic.ok()) return topic.status();
  google::pubsub::v1::Subscription s;
  s.set_name(target.subscription);
  s.set_topic(target.topic);
  if (auto subscription = target.admin->CreateSubscription(s); !subscription.ok()) return subscription.status();
  return target;
}

}  // namespace schedsvc::scheduler_it

#endif  // SCHEDSVC_INTEGRATION_TESTS_SCHEDULER_PUBSUB_TARGET_H_
