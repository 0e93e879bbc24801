#include "src/cli/dlq_command.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "src/pubsub/limits.h"
#include "src/pubsub/resource_names.h"

namespace schedsvc::cli {
namespace {

namespace v1 = ::google::pubsub::v1;

// The attribute where schedule-service's dead-letter publisher keeps the id of the message it received.
constexpr char kSourceMessageIdAttribute[] = "schedsvc.message_id";

// While waiting for a publish's confirmation, leases are renewed this often.
constexpr auto kRenewPoll = std::chrono::seconds(1);

// Returns the publish result, renewing `leases` while it is outstanding (the publisher may retry for
// up to its retry budget, longer than one lease).
absl::StatusOr<std::string> AwaitPublish(std::future<absl::StatusOr<std::string>>& result, DlqLeases& leases) {
  leases.Renew();
  while (result.wait_for(kRenewPoll) != std::future_status::ready) leases.Renew();
  return result.get();
}

absl::Status CheckLimit(int limit) {
  if (limit < 0) return absl::InvalidArgumentError(absl::StrCat("--limit must be 0 (all) or more, got ", limit));
  return absl::OkStatus();
}

std::string Reason(const v1::PubsubMessage& m) {
  const auto& a = m.attributes();
  if (auto it = a.find("schedsvc.reason"); it != a.end()) return it->second;
  if (a.contains("CloudPubSubDeadLetterSourceDeliveryCount")) {
    return absl::StrCat("max delivery attempts (", a.at("CloudPubSubDeadLetterSourceDeliveryCount"), ")");
  }
  return "unknown";
}

std::string PrintableData(const std::string& data) {
  std::string out;
  for (char c : data.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '.';
  if (data.size() > 80) out += "...";
  return out;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseFilter(const std::string& filter) {
  if (filter.empty()) return std::pair<std::string, std::string>{};
  std::vector<std::string> parts = absl::StrSplit(filter, absl::MaxSplits('=', 1));
  if (parts.size() != 2 || parts[0].empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--filter must be KEY=VALUE, got \"", filter, "\""));
  }
  return std::pair<std::string, std::string>{parts[0], parts[1]};
}

absl::Status CheckIds(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (id.empty()) return absl::InvalidArgumentError("--id must not be empty");
  }
  return absl::OkStatus();
}

// One pull of PacedPull: what was pulled and held, or which step failed.
struct HeldBatch {
  std::vector<v1::ReceivedMessage> messages;  // held in the leases; empty after an empty pull
  absl::Status pull_status;                   // not OK: the pull failed (nothing new held)
  absl::Status hold_status;                   // not OK: the batch was pulled but extending its lease failed
};

// The pull loop dlq list and dlq replay share: each pull renews the leases held so far, asks for no more
// than `limit` can still take, and holds a non-empty batch at once. pacing.empty_pulls_to_stop empty
// pulls in a row (each but the last followed by pacing.empty_pause) mean the subscription is drained.
class PacedPull {
 public:
  PacedPull(pubsub::AdminClient& client, const std::string& subscription, DlqLeases& leases, int limit,
            const DlqPullPacing& pacing)
      : client_(client), subscription_(subscription), leases_(leases), limit_(limit), pacing_(pacing) {}

  // Whether to pull again after `taken` messages counted against the limit (0 = no limit).
  bool More(int taken) const {
    return (limit_ == 0 || taken < limit_) && empty_in_a_row_ < pacing_.empty_pulls_to_stop;
  }

  HeldBatch Next(int taken) {
    HeldBatch out;
    leases_.Renew();
    const int want = limit_ == 0 ? pacing_.batch : std::min(pacing_.batch, limit_ - taken);
    auto batch = client_.PullWaiting(subscription_, want, pacing_.wait);
    if (!batch.ok()) {
      out.pull_status = batch.status();
      return out;
    }
    if (batch->empty()) {
      ++empty_in_a_row_;
      if (empty_in_a_row_ < pacing_.empty_pulls_to_stop) absl::SleepFor(pacing_.empty_pause);
      return out;
    }
    empty_in_a_row_ = 0;
    std::vector<std::string> ack_ids;
    for (const auto& rm : *batch) ack_ids.push_back(rm.ack_id());
    out.hold_status = leases_.Hold(ack_ids);
    if (out.hold_status.ok()) out.messages = *std::move(batch);
    return out;
  }

 private:
  pubsub::AdminClient& client_;
  const std::string& subscription_;
  DlqLeases& leases_;
  const int limit_;
  const DlqPullPacing& pacing_;
  int empty_in_a_row_ = 0;
};

}  // namespace

bool IsDeadLetterAttribute(absl::string_view key) {
  return absl::StartsWith(key, "schedsvc.") || absl::StartsWith(key, "CloudPubSubDeadLetter");
}

std::map<std::string, std::string> OriginalAttributes(const v1::PubsubMessage& message) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : message.attributes()) {
    if (!IsDeadLetterAttribute(k)) out.emplace(k, v);
  }
  return out;
}

absl::Status CheckReplayAttribute(absl::string_view name, absl::string_view key, absl::string_view value) {
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": an attribute key must not be empty"));
  if (IsDeadLetterAttribute(key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " ", key,
        ": schedsvc.* and CloudPubSubDeadLetter* are dead-letter bookkeeping, not set on a replayed copy"));
  }
  if (key.size() > pubsub::kMaxAttributeKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " key of ", key.size(), " bytes; Pub/Sub allows ", pubsub::kMaxAttributeKeyBytes));
  }
  if (value.size() > pubsub::kMaxAttributeValueBytes) {
    return absl::InvalidArgumentError(absl::StrCat(name, " ", key, ": value of ", value.size(),
                                                   " bytes; Pub/Sub allows ", pubsub::kMaxAttributeValueBytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ParseSetAttributes(const std::vector<std::string>& texts) {
  std::map<std::string, std::string> out;
  for (const auto& text : texts) {
    std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--set-attribute must be KEY=VALUE, got \"", text, "\""));
    }
    if (absl::Status s = CheckReplayAttribute("--set-attribute", parts[0], parts[1]); !s.ok()) return s;
    out[parts[0]] = parts[1];
  }
  return out;
}

absl::StatusOr<std::vector<v1::ReceivedMessage>> PullAvailable(pubsub::AdminClient& client,
                                                               const std::string& subscription,
                                                               DlqLeases& leases, int limit,
                                                               const DlqPullPacing& pacing) {
  std::vector<v1::ReceivedMessage> held;
  std::set<std::string> seen;
  PacedPull pull(client, subscription, leases, limit, pacing);
  while (pull.More(static_cast<int>(held.size()))) {
    HeldBatch batch = pull.Next(static_cast<int>(held.size()));
    if (!batch.pull_status.ok()) return batch.pull_status;
    if (const absl::Status& s = batch.hold_status; !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("extending the lease of pulled messages: ", s.message()));
    }
    for (auto& m : batch.messages) {
      // A second delivery of a message already pulled stays held (released with the rest).
      if (!seen.insert(m.message().message_id()).second) continue;
      held.push_back(std::move(m));
    }
  }
  return held;
}

int RunDlqList(const DlqListOptions& options, pubsub::AdminClient& client, Clock& clock, std::ostream& out,
               std::ostream& err) {
  auto name = pubsub::ResolveSubscriptionName(options.subscription, options.project);
  if (!name.ok()) {
    err << "schedctl dlq list: " << name.status().message() << "\n";
    return kExitUsage;
  }
  if (absl::Status s = CheckLimit(options.limit); !s.ok()) {
    err << "schedctl dlq list: " << s.message() << "\n";
    return kExitUsage;
  }
  DlqLeases leases(client, *name, clock, err);
  auto messages = PullAvailable(client, *name, leases, options.limit, options.pacing);
  if (!messages.ok()) {
    err << "schedctl dlq list: pulling " << *name << ": " << messages.status().message() << "\n";
    return kExitFailure;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& rm : *messages) {
    const auto& m = rm.message();
    if (options.json) {
      nlohmann::json item;
      item["message_id"] = m.message_id();
      item["publish_time"] = google::protobuf::util::TimeUtil::ToString(m.publish_time());
      item["reason"] = Reason(m);
      item["data"] = m.data();
      nlohmann::json attrs = nlohmann::json::object();
      for (const auto& [k, v] : m.attributes()) attrs[k] = v;
      item["attributes"] = attrs;
      list.push_back(item);
      continue;
    }
    out << m.message_id() << "  published "
        << google::protobuf::util::TimeUtil::ToString(m.publish_time()) << "\n"
        << "  reason: " << Reason(m) << "\n";
    std::map<std::string, std::string> sorted(m.attributes().begin(), m.attributes().end());
    for (const auto& [k, v] : sorted) {
      out << "  " << (IsDeadLetterAttribute(k) ? "why   " : "attr  ") << k << "=" << v << "\n";
    }
    out << "  data: " << PrintableData(m.data()) << " (" << m.data().size() << " bytes)\n";
  }
  leases.ReleaseAll();
  if (options.json) {
    out << list.dump(2) << "\n";
  } else {
    out << messages->size() << " dead letter(s) on " << *name << " (left in place)\n";
  }
  return kExitOk;
}

absl::StatusOr<ReplayCounts> ReplayDeadLetters(const DlqReplayOptions& options, pubsub::AdminClient& client,
                                               pubsub::Publisher& publisher, Clock& clock, std::ostream& out,
                                               std::ostream& err) {
  auto name = pubsub::ResolveSubscriptionName(options.subscription, options.project);
  if (!name.ok()) return name.status();
  auto filter = ParseFilter(options.filter);
  if (!filter.ok()) return filter.status();
  if (absl::Status s = CheckLimit(options.limit); !s.ok()) return s;
  if (absl::Status s = CheckIds(options.ids); !s.ok()) return s;
  auto set_attributes = ParseSetAttributes(options.set_attributes);
  if (!set_attributes.ok()) return set_attributes.status();
  const std::set<std::string> wanted_ids(options.ids.begin(), options.ids.end());
  auto to_topic = pubsub::ResolveTopicName(options.to_topic, options.project);
  if (!to_topic.ok()) return to_topic.status();
  // Replaying into the topic the subscription reads would pull every replayed copy again, and replay it
  // again, for ever.
  if (auto subscription = client.GetSubscription(*name); subscription.ok()) {
    if (subscription->topic() == *to_topic) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing to replay into ", *to_topic, ": it is the topic ", *name,
          " reads, so every replayed message would come back and be replayed again; use --to with the "
          "topic the dead letters came from"));
    }
  } else if (subscription.status().code() == absl::StatusCode::kNotFound) {
    return subscription.status();
  } else {
    err << "schedctl dlq replay: cannot tell which topic " << *name << " reads ("
        << subscription.status().message() << "); going on, and stopping if a replayed message comes back\n";
  }

  // Released (whatever is still held) when this returns, also on an error.
  DlqLeases leases(client, *name, clock, err);
  ReplayCounts counts;
  std::set<std::string> seen;      // message ids handled in this run
  std::set<std::string> replayed;  // ... of which published (confirmed)
  // Ids of the messages this run published. A pulled message with one of them as its id (the target
  // topic feeds the subscription) or as its schedsvc.message_id (schedule-service dead-lettered the replayed
  // copy again) is this run's own output coming back: the run stops instead of feeding itself.
  std::set<std::string> published_ids;
  int matched = 0;                 // what --limit counts
  // Wanted (--id) dead letters handled in this run (replayed, failed or filtered out): once all are, the run
  // ends, so replaying a few ids does not pull, hold and skip the whole backlog.
  size_t wanted_seen = 0;
  const auto wanted_pending = [&] { return wanted_ids.empty() || wanted_seen < wanted_ids.size(); };
  struct Pending {
    const v1::ReceivedMessage* message;
    std::future<absl::StatusOr<std::string>> result;
  };
  // Never pulls more than --limit can still take, so every match in a batch is replayed.
  PacedPull pull(client, *name, leases, options.limit, options.pacing);
  while (pull.More(matched) && wanted_pending()) {
    HeldBatch batch = pull.Next(matched);
    if (const absl::Status& s = batch.pull_status; !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("pulling ", *name, ": ", s.message(), " (stopped after ",
                                                 ReplaySummary(counts, options.dry_run), ")"));
    }
    if (const absl::Status& s = batch.hold_status; !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("extending the lease of pulled messages on ", *name, ": ",
                                                 s.message(), " (released them; stopped after ",
                                                 ReplaySummary(counts, options.dry_run), ")"));
    }

    // Messages that are not replayed now (filtered out, a repeat delivery, a failed publish, a dry run)
    // stay held until the end of the run, so later pulls of this run do not return them again.
    std::vector<Pending> pending;
    std::vector<std::string> repeats_of_replayed;
    for (const auto& rm : batch.messages) {
      const std::string& id = rm.message().message_id();
      const auto& attributes = rm.message().attributes();
      const auto source_id = attributes.find(kSourceMessageIdAttribute);
      if (published_ids.contains(id) ||
          (source_id != attributes.end() && published_ids.contains(source_id->second))) {
        // Left on the subscription (released with the rest) for the operator to look at.
        return absl::FailedPreconditionError(absl::StrCat(
            "message ", id, " on ", *name, " is a copy published by this replay to ", *to_topic,
            ": that topic feeds the subscription back, so the replay stopped (after ",
            ReplaySummary(counts, options.dry_run), "); the copy is left on the subscription"));
      }
      if (!seen.insert(id).second) {
        // Already published in this run: acking this delivery too is what the first ack meant.
        if (replayed.contains(id)) repeats_of_replayed.push_back(rm.ack_id());
        continue;
      }
      if (!wanted_ids.empty() && !wanted_ids.contains(id)) {
        ++counts.skipped;
        continue;
      }
      if (!wanted_ids.empty()) ++wanted_seen;
      if (!filter->first.empty()) {
        const auto& attrs = rm.message().attributes();
        auto it = attrs.find(filter->first);
        if (it == attrs.end() || it->second != filter->second) {
          ++counts.skipped;
          continue;
        }
      }
      ++matched;
      if (options.dry_run) {
        out << "would replay " << id << " (" << Reason(rm.message()) << ")\n";
        ++counts.replayed;
        continue;
      }
      pubsub::OutgoingMessage outgoing;
      outgoing.data = rm.message().data();
      outgoing.attributes = OriginalAttributes(rm.message());
      for (const auto& [k, v] : *set_attributes) outgoing.attributes[k] = v;
      outgoing.ordering_key = rm.message().ordering_key();
      pending.push_back({&rm, publisher.Publish(std::move(outgoing))});
    }
    if (!repeats_of_replayed.empty()) {
      if (absl::Status s = leases.Ack(repeats_of_replayed); !s.ok()) {
        err << "schedctl dlq replay: acking " << repeats_of_replayed.size()
            << " repeat delivery(ies) of replayed messages: " << s.message() << "\n";
      }
    }
    if (pending.empty()) continue;
    publisher.Flush();

    // Ack only what is confirmed published.
    std::vector<std::pair<const v1::ReceivedMessage*, std::string>> confirmed;
    for (auto& p : pending) {
      absl::StatusOr<std::string> new_id = AwaitPublish(p.result, leases);
      if (!new_id.ok()) {
        out << "failed " << p.message->message().message_id() << ": publish: " << new_id.status().message()
            << " (left in place)\n";
        ++counts.failed;
        continue;
      }
      published_ids.insert(*new_id);
      confirmed.emplace_back(p.message, *std::move(new_id));
    }
    if (confirmed.empty()) continue;
    std::vector<std::string> to_ack;
    for (const auto& [rm, new_id] : confirmed) to_ack.push_back(rm->ack_id());
    const absl::Status acked = leases.Ack(to_ack);
    for (const auto& [rm, new_id] : confirmed) {
      const std::string& old_id = rm->message().message_id();
      replayed.insert(old_id);
      if (!acked.ok()) {
        // Published but maybe not acked: the dead letter may come back and be replayed again. Say so.
        out << "failed " << old_id << ": replayed as " << new_id << " but the ack failed (" << acked.message()
            << "); it may be replayed again\n";
        ++counts.failed;
        continue;
      }
      out << "replayed " << old_id << " as " << new_id << "\n";
      ++counts.replayed;
    }
  }
  leases.ReleaseAll();
  return counts;
}

std::string ReplaySummary(const ReplayCounts& counts, bool dry_run) {
  return absl::StrCat(dry_run ? "dry run: would replay " : "replayed ", counts.replayed, ", skipped by filter ",
                      counts.skipped, ", failed ", counts.failed);
}

void RegisterDlqCommand(CLI::App& app, CommandAction& action) {
  CLI::App* dlq = app.add_subcommand("dlq", "Inspect and replay dead-lettered messages");
  dlq->require_subcommand(1);

  auto list = std::make_shared<DlqListOptions>();
  CLI::App* list_cmd = dlq->add_subcommand("list", "List dead letters with why, without consuming them");
  list_cmd->add_option("--subscription", list->subscription, "subscription on the dead-letter topic")
      ->required();
  list_cmd->add_option("--limit", list->limit, "at most this many (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  list_cmd->add_flag("--json", list->json, "print a JSON array");
  list_cmd->add_option("--project", list->project, "project for a subscription id")->capture_default_str();
  list_cmd->callback([list, &action] {
    action = [list] {
      auto client = pubsub::MakeAdminClient();
      SystemClock clock;
      return RunDlqList(*list, *client, clock, std::cout, std::cerr);
    };
  });

  auto replay = std::make_shared<DlqReplayOptions>();
  CLI::App* replay_cmd = dlq->add_subcommand("replay", "Republish dead letters to a topic, acking each after its publish");
  replay_cmd->add_option("--subscription", replay->subscription, "subscription on the dead-letter topic")
      ->required();
  replay_cmd->add_option("--to", replay->to_topic, "topic to republish to (id or full name)")->required();
  replay_cmd->add_option("--filter", replay->filter, "replay only messages with attribute KEY=VALUE");
  replay_cmd->add_option("--limit", replay->limit, "at most this many matching messages (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  replay_cmd->add_option("--id", replay->ids,
                         "replay only the dead letter with this message id (repeatable; default: all)");
  replay_cmd->add_option("--set-attribute", replay->set_attributes,
                         "set attribute KEY=VALUE on each replayed copy (repeatable)");
  replay_cmd->add_flag("--dry-run", replay->dry_run, "show what would be replayed; change nothing");
  replay_cmd->add_option("--project", replay->project, "project for ids")->capture_default_str();
  replay_cmd->callback([replay, &action] {
    action = [replay]() -> int {
      auto topic = pubsub::ResolveTopicName(replay->to_topic, replay->project);
      if (!topic.ok()) {
        std::cerr << "schedctl dlq replay: " << topic.status().message() << "\n";
        return kExitUsage;
      }
      pubsub::PublisherOptions publisher_options;
      publisher_options.topic = *topic;
      auto publisher = pubsub::MakePublisher(publisher_options);
      if (!publisher.ok()) {
        std::cerr << "schedctl dlq replay: " << publisher.status().message() << "\n";
        return kExitUsage;
      }
      auto client = pubsub::MakeAdminClient();
      SystemClock clock;
      auto counts = ReplayDeadLetters(*replay, *client, **publisher, clock, std::cout, std::cerr);
      (*publisher)->Shutdown();
      if (!counts.ok()) {
        std::cerr << "schedctl dlq replay: " << counts.status().message() << "\n";
        return counts.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
      }
      std::cout << ReplaySummary(*counts, replay->dry_run) << "\n";
      return counts->failed > 0 ? kExitFailure : kExitOk;
    };
  });
}

}  // namespace schedsvc::cli
