// Test doubles for the dead-letter unit tests (dlq_leases_test.cc, dlq_command_test.cc and the console's
// dead_letter_view_test.cc, console_server_test.cc); not linked into schedctl. FakeDlqAdminClient is an in-memory subscription with Pub/Sub's lease rules on a
// FakeClock: a pulled message is leased for the ack deadline under a fresh ack id, redelivered (under a
// new ack id) once its lease lapses or it is released, and gone once acked. It records every
// ModifyAckDeadline/Acknowledge and counts deliveries per message. FakeDlqPublisher completes queued
// publishes on Flush(), optionally after advancing the clock (a slow publish), failing those whose data
// is in `fail_data`; ForwardingPublisher lends one to an owner. None is thread-safe; the dlq commands call
// them from one thread.
#ifndef SCHEDSVC_CLI_FAKE_DLQ_PUBSUB_H_
#define SCHEDSVC_CLI_FAKE_DLQ_PUBSUB_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"
#include "testing/fake_clock.h"

namespace schedsvc::cli {

class FakeDlqAdminClient final : public pubsub::AdminClient {
 public:
  // `ack_deadline` is the subscription's: the lease a pull grants.
  FakeDlqAdminClient(testing::FakeClock& clock, absl::Duration ack_deadline)
      : clock_(clock), ack_deadline_(ack_deadline) {}

  // Adds a message; returns its id.
  std::string Add(const std::string& data, std::map<std::string, std::string> attributes) {
    return AddWithId(absl::StrCat("m", messages_.size() + 1), data, std::move(attributes));
  }
  // Adds a message with the given id (as a publish to the subscription's topic would); returns the id.
  std::string AddWithId(const std::string& id, const std::string& data,
                        std::map<std::string, std::string> attributes) {
    Message m;
    m.id = id;
    m.data = data;
    m.attributes = std::move(attributes);
    messages_.push_back(std::move(m));
    return messages_.back().id;
  }

  struct ModifyCall {
    std::vector<std::string> ack_ids;
    int seconds;
    absl::Time at;
  };
  const std::vector<ModifyCall>& modify_calls() const { return modify_calls_; }
  const std::vector<std::string>& acked_ids() const { return acked_ids_; }
  // Acks whose ack id was no longer current (lease lapsed and the message was redelivered).
  int stale_acks() const { return stale_acks_; }
  // Times `id` was handed out by a pull.
  int deliveries(const std::string& id) const { return Find(id).deliveries; }
  bool acked(const std::string& id) const { return Find(id).acked; }
  // Messages neither acked nor leased now.
  int available() const {
    int n = 0;
    for (const auto& m : messages_) n += Available(m) ? 1 : 0;
    return n;
  }
  int pulls() const { return pulls_; }
  void FailModifyAckDeadline(absl::Status s) { modify_error_ = std::move(s); }
  void FailPull(absl::Status s) { pull_error_ = std::move(s); }

  absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> Pull(const std::string& subscription,
                                                                       int max_messages) override {
    ++pulls_;
    if (!pull_error_.ok()) return pull_error_;
    subscription_ = subscription;
    std::vector<google::pubsub::v1::ReceivedMessage> out;
    for (auto& m : messages_) {
      if (static_cast<int>(out.size()) >= max_messages) break;
      if (!Available(m)) continue;
      m.ack_id = absl::StrCat("ack-", m.id, "-", ++m.deliveries);
      m.lease_end = clock_.Now() + ack_deadline_;
      google::pubsub::v1::ReceivedMessage rm;
      rm.set_ack_id(m.ack_id);
      rm.mutable_message()->set_message_id(m.id);
      rm.mutable_message()->set_data(m.data);
      for (const auto& [k, v] : m.attributes) (*rm.mutable_message()->mutable_attributes())[k] = v;
      out.push_back(std::move(rm));
    }
    return out;
  }
  absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> PullWaiting(const std::string& subscription,
                                                                              int max_messages,
                                                                              absl::Duration) override {
    return Pull(subscription, max_messages);
  }
  absl::Status Acknowledge(const std::string&, const std::vector<std::string>& ack_ids) override {
    for (const auto& ack_id : ack_ids) {
      Message* m = ByAckId(ack_id);
      if (m == nullptr) continue;
      if (m->ack_id != ack_id || m->lease_end <= clock_.Now()) ++stale_acks_;
      m->acked = true;
      acked_ids_.push_back(m->id);
    }
    return absl::OkStatus();
  }
  absl::Status ModifyAckDeadline(const std::string&, const std::vector<std::string>& ack_ids,
                                 int seconds) override {
    if (!modify_error_.ok() && seconds > 0) return modify_error_;
    modify_calls_.push_back({ack_ids, seconds, clock_.Now()});
    for (const auto& ack_id : ack_ids) {
      Message* m = ByAckId(ack_id);
      // Pub/Sub ignores a stale ack id (its lease already lapsed).
      if (m == nullptr || m->ack_id != ack_id || m->lease_end <= clock_.Now()) continue;
      m->lease_end = clock_.Now() + absl::Seconds(seconds);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<google::pubsub::v1::Topic> CreateTopic(const std::string&) override { return Unused(); }
  absl::StatusOr<google::pubsub::v1::Topic> GetTopic(const std::string&) override { return Unused(); }
  absl::Status DeleteTopic(const std::string&) override { return Unused(); }
  absl::StatusOr<google::pubsub::v1::Subscription> CreateSubscription(
      const google::pubsub::v1::Subscription&) override {
    return Unused();
  }
  // The topic GetSubscription reports the subscription reads, or the error it returns.
  std::string subscription_topic = "projects/p/topics/dead";
  absl::Status get_subscription_error;
  absl::StatusOr<google::pubsub::v1::Subscription> GetSubscription(const std::string& name) override {
    if (!get_subscription_error.ok()) return get_subscription_error;
    google::pubsub::v1::Subscription s;
    s.set_name(name);
    s.set_topic(subscription_topic);
    return s;
  }
  absl::StatusOr<google::pubsub::v1::Subscription> UpdateSubscription(const google::pubsub::v1::Subscription&,
                                                                      const std::vector<std::string>&) override {
    return Unused();
  }
  absl::Status DeleteSubscription(const std::string&) override { return Unused(); }

 private:
  struct Message {
    std::string id;
    std::string data;
    std::map<std::string, std::string> attributes;
    std::string ack_id;  // of the latest delivery
    absl::Time lease_end = absl::InfinitePast();
    int deliveries = 0;
    bool acked = false;
  };
  static absl::Status Unused() { return absl::UnimplementedError("not used by the dlq commands"); }
  bool Available(const Message& m) const { return !m.acked && m.lease_end <= clock_.Now(); }
  const Message& Find(const std::string& id) const {
    for (const auto& m : messages_) {
      if (m.id == id) return m;
    }
    static const Message kNone;
    return kNone;
  }
  Message* ByAckId(const std::string& ack_id) {
    // Ack ids are "ack-<message id>-<delivery>".
    for (auto& m : messages_) {
      if (absl::StartsWith(ack_id, absl::StrCat("ack-", m.id, "-"))) return &m;
    }
    return nullptr;
  }

  testing::FakeClock& clock_;
  const absl::Duration ack_deadline_;
  std::vector<Message> messages_;
  std::vector<ModifyCall> modify_calls_;
  std::vector<std::string> acked_ids_;
  std::string subscription_;
  int stale_acks_ = 0;
  int pulls_ = 0;
  absl::Status modify_error_;
  absl::Status pull_error_;
};

class FakeDlqPublisher final : public pubsub::Publisher {
 public:
  explicit FakeDlqPublisher(testing::FakeClock& clock) : clock_(clock) {}

  // Data of messages whose publish fails (kUnavailable).
  std::set<std::string> fail_data;
  // Flush() advances the clock by this much before completing the queued publishes.
  absl::Duration publish_latency = absl::ZeroDuration();
  // When set, every successful publish also lands on this subscription: as the same message (the topic
  // is the one it reads) or, with `feeds_as_dead_letter`, as schedule-service would dead-letter it again
  // (a new message id; schedsvc.message_id = the published id).
  FakeDlqAdminClient* feeds = nullptr;
  bool feeds_as_dead_letter = false;

  // Everything published successfully, in order.
  const std::vector<pubsub::OutgoingMessage>& published() const { return published_; }
  // Clock time of each successful publish's confirmation, in order.
  const std::vector<absl::Time>& confirmed_at() const { return confirmed_at_; }
  int flushes() const { return flushes_; }

  using Publisher::Publish;
  void Publish(pubsub::OutgoingMessage message, Callback done) override {
    queued_.emplace_back(std::move(message), std::move(done));
  }
  void Flush() override {
    ++flushes_;
    clock_.AdvanceTime(publish_latency);
    auto queued = std::move(queued_);
    queued_.clear();
    for (auto& [message, done] : queued) {
      if (fail_data.contains(message.data)) {
        done(absl::UnavailableError("publish failed on purpose"));
        continue;
      }
      published_.push_back(message);
      confirmed_at_.push_back(clock_.Now());
      const std::string id = absl::StrCat("new-", published_.size());
      if (feeds != nullptr && !feeds_as_dead_letter) feeds->AddWithId(id, message.data, message.attributes);
      if (feeds != nullptr && feeds_as_dead_letter) {
        auto attributes = message.attributes;
        attributes["schedsvc.message_id"] = id;
        attributes["schedsvc.reason"] = "http_4xx";
        feeds->AddWithId(absl::StrCat("dead-", id), message.data, std::move(attributes));
      }
      done(id);
    }
  }
  void Shutdown() override { Flush(); }

 private:
  testing::FakeClock& clock_;
  std::vector<std::pair<pubsub::OutgoingMessage, Callback>> queued_;
  std::vector<pubsub::OutgoingMessage> published_;
  std::vector<absl::Time> confirmed_at_;
  int flushes_ = 0;
};

// Hands a test's FakeDlqPublisher to code that owns, flushes and shuts down the publisher it is given (a
// replay's publisher factory): publishes and flushes go to `to`; Shutdown only flushes, so `to` outlives it.
class ForwardingPublisher final : public pubsub::Publisher {
 public:
  explicit ForwardingPublisher(pubsub::Publisher& to) : to_(to) {}
  using Publisher::Publish;
  void Publish(pubsub::OutgoingMessage message, Callback done) override { to_.Publish(std::move(message), done); }
  void Flush() override { to_.Flush(); }
  void Shutdown() override { to_.Flush(); }

 private:
  pubsub::Publisher& to_;
};

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_FAKE_DLQ_PUBSUB_H_
