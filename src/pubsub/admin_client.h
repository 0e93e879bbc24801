// AdminClient: synchronous unary Pub/Sub calls for set-up and operations (schedctl, tests, benchmarks):
// topics, subscriptions, and Pull/Acknowledge/ModifyAckDeadline for inspecting a subscription without a
// streaming session. Each call has the connection's RPC timeout. Thread-safe.
#ifndef SCHEDSVC_PUBSUB_ADMIN_CLIENT_H_
#define SCHEDSVC_PUBSUB_ADMIN_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "src/pubsub/connection_options.h"

namespace schedsvc::pubsub {

class AdminClient {
 public:
  virtual ~AdminClient() = default;

  // Topics. Errors are the server's codes (kAlreadyExists, kNotFound, ...).
  virtual absl::StatusOr<google::pubsub::v1::Topic> CreateTopic(const std::string& topic) = 0;
  virtual absl::StatusOr<google::pubsub::v1::Topic> GetTopic(const std::string& topic) = 0;
  virtual absl::Status DeleteTopic(const std::string& topic) = 0;

  // Subscriptions.
  virtual absl::StatusOr<google::pubsub::v1::Subscription> CreateSubscription(
      const google::pubsub::v1::Subscription& subscription) = 0;
  virtual absl::StatusOr<google::pubsub::v1::Subscription> GetSubscription(
      const std::string& subscription) = 0;
  // Updates the fields named in `update_mask_paths` (e.g. "ack_deadline_seconds").
  virtual absl::StatusOr<google::pubsub::v1::Subscription> UpdateSubscription(
      const google::pubsub::v1::Subscription& subscription,
      const std::vector<std::string>& update_mask_paths) = 0;
  virtual absl::Status DeleteSubscription(const std::string& subscription) = 0;

  // Pulls up to `max_messages` (returns what is immediately available; may be empty).
  virtual absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> Pull(
      const std::string& subscription, int max_messages) = 0;
  // Pulls up to `max_messages`, waiting up to `wait` for the first to arrive (a long poll, not
  // return_immediately, which both Pub/Sub and its emulator may answer empty while messages are
  // deliverable). Empty when nothing arrived within `wait` and Pub/Sub then answers a GetSubscription of
  // `subscription` within 5 s (with any status but UNAVAILABLE: PERMISSION_DENIED counts, since a
  // subscriber-only account may not get the subscription); kUnavailable when it does not answer, so a hung
  // server never reads as an empty subscription.
  virtual absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> PullWaiting(
      const std::string& subscription, int max_messages, absl::Duration wait) = 0;
  virtual absl::Status Acknowledge(const std::string& subscription,
                                   const std::vector<std::string>& ack_ids) = 0;
  // Sets the ack deadline of `ack_ids` to `seconds` from now (0 = nack).
  virtual absl::Status ModifyAckDeadline(const std::string& subscription,
                                         const std::vector<std::string>& ack_ids, int seconds) = 0;
};

// Returns a client connected per `connection`.
std::unique_ptr<AdminClient> MakeAdminClient(ConnectionOptions connection = {});

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_ADMIN_CLIENT_H_
