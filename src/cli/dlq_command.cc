#include "src/cli/dlq_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "src/pubsub/resource_names.h"

namespace schedsvc::cli {
namespace {

namespace v1 = ::google::pubsub::v1;

// A pull can come back empty while messages are still on their way; this many empty answers in a row
// (each a long poll of kPullWait, kEmptyPause apart) mean the subscription is drained.
constexpr int kEmptyPullsToStop = 3;
constexpr auto kEmptyPause = std::chrono::milliseconds(300);
// Each pull is a long poll of up to this long (return_immediately may answer empty while messages wait).
constexpr absl::Duration kPullWait = absl::Seconds(1);
constexpr int kPullBatch = 100;

// Releases `ack_ids` (deadline 0) so they are redelivered at once; best effort, errors to `err`.
void Release(pubsub::AdminClient& client, const std::string& subscription,
             const std::vector<std::string>& ack_ids, std::ostream& err) {
  for (size_t i = 0; i < ack_ids.size(); i += 1000) {
    std::vector<std::string> chunk(ack_ids.begin() + i,
                                   ack_ids.begin() + std::min(ack_ids.size(), i + 1000));
    absl::Status s = client.ModifyAckDeadline(subscription, chunk, 0);
    if (!s.ok()) err << "schedctl dlq: releasing " << chunk.size() << " message(s): " << s.message() << "\n";
  }
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

absl::StatusOr<std::vector<v1::ReceivedMessage>> PullAvailable(pubsub::AdminClient& client,
                                                               const std::string& subscription, int limit) {
  std::vector<v1::ReceivedMessage> held;
  std::set<std::string> seen;
  std::vector<std::string> duplicates;
  int empty = 0;
  while ((limit == 0 || static_cast<int>(held.size()) < limit) && empty < kEmptyPullsToStop) {
    const int want = limit == 0 ? kPullBatch : std::min(kPullBatch, limit - static_cast<int>(held.size()));
    auto batch = client.PullWaiting(subscription, want, kPullWait);
    if (!batch.ok()) {
      std::vector<std::string> ids;
      for (const auto& m : held) ids.push_back(m.ack_id());
      for (const auto& d : duplicates) ids.push_back(d);
      Release(client, subscription, ids, std::cerr);
      return batch.status();
    }
    if (batch->empty()) {
      ++empty;
      if (empty < kEmptyPullsToStop) std::this_thread::sleep_for(kEmptyPause);
      continue;
    }
    empty = 0;
    for (auto& m : *batch) {
      if (!seen.insert(m.message().message_id()).second) {
        duplicates.push_back(m.ack_id());
        continue;
      }
      held.push_back(std::move(m));
    }
  }
  if (!duplicates.empty()) Release(client, subscription, duplicates, std::cerr);
  return held;
}

int RunDlqList(const DlqListOptions& options, pubsub::AdminClient& client, std::ostream& out,
               std::ostream& err) {
  auto name = pubsub::ResolveSubscriptionName(options.subscription, options.project);
  if (!name.ok()) {
    err << "schedctl dlq list: " << name.status().message() << "\n";
    return kExitUsage;
  }
  auto messages = PullAvailable(client, *name, options.limit);
  if (!messages.ok()) {
    err << "schedctl dlq list: pulling " << *name << ": " << messages.status().message() << "\n";
    return kExitFailure;
  }
  std::vector<std::string> ack_ids;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& rm : *messages) {
    ack_ids.push_back(rm.ack_id());
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
  Release(client, *name, ack_ids, err);
  if (options.json) {
    out << list.dump(2) << "\n";
  } else {
    out << messages->size() << " dead letter(s) on " << *name << " (left in place)\n";
  }
  return kExitOk;
}

absl::StatusOr<ReplayCounts> ReplayDeadLetters(const DlqReplayOptions& options, pubsub::AdminClient& client,
                                               pubsub::Publisher& publisher, std::ostream& out) {
  auto name = pubsub::ResolveSubscriptionName(options.subscription, options.project);
  if (!name.ok()) return name.status();
  auto filter = ParseFilter(options.filter);
  if (!filter.ok()) return filter.status();
  auto messages = PullAvailable(client, *name, options.limit);
  if (!messages.ok()) return messages.status();

  ReplayCounts counts;
  std::vector<std::string> release;
  // Publish everything first (the publisher batches), then ack each message whose publish succeeded.
  struct Pending {
    const v1::ReceivedMessage* message;
    std::future<absl::StatusOr<std::string>> result;
  };
  std::vector<Pending> pending;
  for (const auto& rm : *messages) {
    const auto& attrs = rm.message().attributes();
    if (!filter->first.empty()) {
      auto it = attrs.find(filter->first);
      if (it == attrs.end() || it->second != filter->second) {
        ++counts.skipped;
        release.push_back(rm.ack_id());
        continue;
      }
    }
    if (options.dry_run) {
      out << "would replay " << rm.message().message_id() << " (" << Reason(rm.message()) << ")\n";
      ++counts.replayed;
      release.push_back(rm.ack_id());
      continue;
    }
    pubsub::OutgoingMessage outgoing;
    outgoing.data = rm.message().data();
    outgoing.attributes = OriginalAttributes(rm.message());
    outgoing.ordering_key = rm.message().ordering_key();
    pending.push_back({&rm, publisher.Publish(std::move(outgoing))});
  }
  publisher.Flush();
  for (auto& p : pending) {
    absl::StatusOr<std::string> id = p.result.get();
    const std::string& old_id = p.message->message().message_id();
    if (!id.ok()) {
      out << "failed " << old_id << ": publish: " << id.status().message() << " (left in place)\n";
      ++counts.failed;
      release.push_back(p.message->ack_id());
      continue;
    }
    absl::Status acked = client.Acknowledge(*name, {p.message->ack_id()});
    if (!acked.ok()) {
      // Published but not acked: the dead letter may come back and be replayed again. Say so.
      out << "failed " << old_id << ": replayed as " << *id << " but the ack failed (" << acked.message()
          << "); it may be replayed again\n";
      ++counts.failed;
      continue;
    }
    out << "replayed " << old_id << " as " << *id << "\n";
    ++counts.replayed;
  }
  Release(client, *name, release, out);
  return counts;
}

void RegisterDlqCommand(CLI::App& app, CommandAction& action) {
  CLI::App* dlq = app.add_subcommand("dlq", "Inspect and replay dead-lettered messages");
  dlq->require_subcommand(1);

  auto list = std::make_shared<DlqListOptions>();
  CLI::App* list_cmd = dlq->add_subcommand("list", "List dead letters with why, without consuming them");
  list_cmd->add_option("--subscription", list->subscription, "subscription on the dead-letter topic")
      ->required();
  list_cmd->add_option("--limit", list->limit, "at most this many (0 = all)")->capture_default_str();
  list_cmd->add_flag("--json", list->json, "print a JSON array");
  list_cmd->add_option("--project", list->project, "project for a subscription id")->capture_default_str();
  list_cmd->callback([list, &action] {
    action = [list] {
      auto client = pubsub::MakeAdminClient();
      return RunDlqList(*list, *client, std::cout, std::cerr);
    };
  });

  auto replay = std::make_shared<DlqReplayOptions>();
  CLI::App* replay_cmd = dlq->add_subcommand("replay", "Republish dead letters to a topic, acking each after its publish");
  replay_cmd->add_option("--subscription", replay->subscription, "subscription on the dead-letter topic")
      ->required();
  replay_cmd->add_option("--to", replay->to_topic, "topic to republish to (id or full name)")->required();
  replay_cmd->add_option("--filter", replay->filter, "replay only messages with attribute KEY=VALUE");
  replay_cmd->add_option("--limit", replay->limit, "at most this many (0 = all)")->capture_default_str();
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
      auto counts = ReplayDeadLetters(*replay, *client, **publisher, std::cout);
      (*publisher)->Shutdown();
      if (!counts.ok()) {
        std::cerr << "schedctl dlq replay: " << counts.status().message() << "\n";
        return counts.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
      }
      std::cout << (replay->dry_run ? "dry run: would replay " : "replayed ") << counts->replayed
                << ", skipped by filter " << counts->skipped << ", failed " << counts->failed << "\n";
      return counts->failed > 0 ? kExitFailure : kExitOk;
    };
  });
}

}  // namespace schedsvc::cli
