// `schedctl dlq list` and `schedctl dlq replay`: inspect and replay dead-lettered messages on a
// subscription of the dead-letter topic (normally "<dead-letter-topic-id>-inspect", made by
// `schedctl pubsub apply`). `list` pulls and releases at once (ModifyAckDeadline 0), so nothing is
// consumed. `replay` republishes data + original attributes (without the schedsvc.* and
// CloudPubSubDeadLetter* bookkeeping) and acks each dead letter only after its publish is confirmed.
// See docs/schedctl.md "## dlq". Not thread-safe (a CLI).
#ifndef SCHEDSVC_CLI_DLQ_COMMAND_H_
#define SCHEDSVC_CLI_DLQ_COMMAND_H_

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "src/cli/command.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"

namespace schedsvc::cli {

// True for attributes that are dead-letter bookkeeping: "schedsvc.*" (ours) and
// "CloudPubSubDeadLetter*" (Pub/Sub's).
bool IsDeadLetterAttribute(absl::string_view key);

// The message's attributes without the bookkeeping ones.
std::map<std::string, std::string> OriginalAttributes(const google::pubsub::v1::PubsubMessage& message);

// Pulls up to `limit` messages (0 = all that are available) from `subscription` and holds their leases.
// The caller must Acknowledge or ModifyAckDeadline(0) every returned ack id. Duplicate redeliveries
// within one call are released at once and not returned.
absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> PullAvailable(
    pubsub::AdminClient& client, const std::string& subscription, int limit);

struct DlqListOptions {
  std::string subscription;  // --subscription (full name, or id in the emulator's/local project)
  int limit = 100;           // --limit; 0 = all
  bool json = false;         // --json: one JSON array
  std::string project = "local-project";  // --project for ids
};

// Lists dead letters to `out` and releases them. Returns the exit code.
int RunDlqList(const DlqListOptions& options, pubsub::AdminClient& client, std::ostream& out,
               std::ostream& err);

struct DlqReplayOptions {
  std::string subscription;  // --subscription
  std::string to_topic;      // --to
  std::string filter;        // --filter KEY=VALUE (matches any attribute, bookkeeping included)
  int limit = 0;             // --limit; 0 = all
  bool dry_run = false;      // --dry-run: report, publish nothing, ack nothing
  std::string project = "local-project";
};

struct ReplayCounts {
  int replayed = 0;
  int skipped = 0;  // did not match --filter (left on the subscription)
  int failed = 0;   // publish or ack failed (left on the subscription)
};

// Replays dead letters through `publisher` (publishing to options.to_topic). Returns the counts, or an
// error if the subscription cannot be read.
absl::StatusOr<ReplayCounts> ReplayDeadLetters(const DlqReplayOptions& options, pubsub::AdminClient& client,
                                               pubsub::Publisher& publisher, std::ostream& out);

void RegisterDlqCommand(CLI::App& app, CommandAction& action);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_DLQ_COMMAND_H_
