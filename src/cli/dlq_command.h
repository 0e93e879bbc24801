// `schedctl dlq list` and `schedctl dlq replay`: inspect and replay dead-lettered messages on a
// subscription of the dead-letter topic (normally "<dead-letter-topic-id>-inspect", made by
// `schedctl pubsub apply`). Every pulled message's lease is extended at once and kept extended
// (DlqLeases) until it is settled, so none is held past its ack deadline. `list` pulls, prints and
// releases (ModifyAckDeadline 0), so nothing is consumed. `replay` works in bounded batches: pull,
// extend, publish data + original attributes (without the schedsvc.* and CloudPubSubDeadLetter*
// bookkeeping), wait for each publish's confirmation, ack the confirmed ones; messages that did not
// match --filter or failed to publish stay held until the end of the run (so the run does not pull them
// again) and are then released. See docs/schedctl.md "## dlq". Not thread-safe (a CLI).
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
#include "absl/time/time.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "src/cli/command.h"
#include "src/cli/dlq_leases.h"
#include "src/common/clock.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"

namespace schedsvc::cli {

// True for attributes that are dead-letter bookkeeping: "schedsvc.*" (ours) and
// "CloudPubSubDeadLetter*" (Pub/Sub's).
bool IsDeadLetterAttribute(absl::string_view key);

// The message's attributes without the bookkeeping ones.
std::map<std::string, std::string> OriginalAttributes(const google::pubsub::v1::PubsubMessage& message);

// How dlq commands pull. Not flags: tests shorten the pauses.
struct DlqPullPacing {
  // Each pull is a long poll of up to this long. Default 1 s; > 0.
  absl::Duration wait = absl::Seconds(1);
  // This many empty pulls in a row (each `empty_pause` apart) mean the subscription is drained.
  // Default 3; >= 1.
  int empty_pulls_to_stop = 3;
  absl::Duration empty_pause = absl::Milliseconds(300);
  // Messages per pull. Default 100; 1-1000.
  int batch = 100;
};

// Pulls up to `limit` messages (0 = all that are available) from `leases`' subscription and holds them
// in `leases` (extended at once, renewed between pulls). The caller settles every returned message
// through `leases` (or lets its destructor release them). A second delivery of a message already
// pulled stays held in `leases` and is not returned. On an error, what was pulled stays in `leases`.
absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> PullAvailable(
    pubsub::AdminClient& client, const std::string& subscription, DlqLeases& leases, int limit,
    const DlqPullPacing& pacing = {});

struct DlqListOptions {
  std::string subscription;  // --subscription (full name, or id in the emulator's/local project)
  int limit = 100;           // --limit; 0 = all, >= 0
  bool json = false;         // --json: one JSON array
  std::string project = "local-project";  // --project for ids
  DlqPullPacing pacing;
};

// Lists dead letters to `out` and releases them. Returns the exit code (kExitUsage for a bad
// subscription name or limit, kExitFailure if pulling fails).
int RunDlqList(const DlqListOptions& options, pubsub::AdminClient& client, Clock& clock, std::ostream& out,
               std::ostream& err);

struct DlqReplayOptions {
  std::string subscription;  // --subscription
  std::string to_topic;      // --to
  std::string filter;        // --filter KEY=VALUE (matches any attribute, bookkeeping included)
  int limit = 0;             // --limit: at most this many matching messages; 0 = all, >= 0
  bool dry_run = false;      // --dry-run: report, publish nothing, ack nothing
  std::string project = "local-project";
  // --id ID (repeatable): replay only the dead letters with these message ids (the dead letter's own id,
  // as `dlq list` shows it); others count as skipped. The run ends once every named dead letter has been
  // pulled and handled (replayed, failed or filtered out), without pulling the rest of the backlog.
  // Empty = every dead letter. Ids must not be empty.
  std::vector<std::string> ids;
  // --set-attribute KEY=VALUE (repeatable): set on every replayed copy, over the original attribute of
  // that name. KEY must not be empty nor a bookkeeping key (schedsvc.*, CloudPubSubDeadLetter*); key and
  // value within Pub/Sub's limits (256 / 1024 bytes). A later KEY wins.
  std::vector<std::string> set_attributes;
  DlqPullPacing pacing;
};

// Checks one attribute to set on a replayed copy: kInvalidArgument when the key is empty or a bookkeeping key,
// or the key or value exceeds Pub/Sub's size. The message starts with `name`, how the caller's input names
// the attributes (the CLI: "--set-attribute"; the console API: "setAttributes"); it never holds the value.
absl::Status CheckReplayAttribute(absl::string_view name, absl::string_view key, absl::string_view value);

// Parses the --set-attribute texts ("KEY=VALUE") into the attributes to set on a replayed copy.
// kInvalidArgument naming the text when one is malformed (no '=', empty key), names a bookkeeping key, or
// exceeds Pub/Sub's key or value size.
absl::StatusOr<std::map<std::string, std::string>> ParseSetAttributes(const std::vector<std::string>& texts);

struct ReplayCounts {
  int replayed = 0;  // published and acked (--dry-run: would be)
  int skipped = 0;   // did not match --filter or --id (left on the subscription)
  int failed = 0;    // publish failed (left on the subscription), or published but the ack failed
};

// Replays dead letters through `publisher` (publishing to options.to_topic), batch by batch: a dead
// letter is acked only after its publish is confirmed, and no message is held past its lease. Per-message
// lines go to `out`, lease problems to `err`. Each copy carries the original attributes with
// options.set_attributes applied. Returns the counts; kInvalidArgument for a bad subscription name, filter,
// limit, id or --set-attribute, or when options.to_topic is the topic the subscription reads (looked up first; if
// the lookup fails other than with kNotFound, a warning goes to `err`); kFailedPrecondition, stopping the
// run, when a pulled message is a copy this run published (its id, or its schedsvc.message_id, is one this
// run's publishes returned); the pull's error if the subscription cannot be read (what was replayed before
// stays replayed, and the message says how far it got).
absl::StatusOr<ReplayCounts> ReplayDeadLetters(const DlqReplayOptions& options, pubsub::AdminClient& client,
                                               pubsub::Publisher& publisher, Clock& clock, std::ostream& out,
                                               std::ostream& err);

// Returns the summary line of a replay, e.g. "replayed 2, skipped by filter 1, failed 0" (with
// "dry run: would replay" in front for a dry run).
std::string ReplaySummary(const ReplayCounts& counts, bool dry_run);

void RegisterDlqCommand(CLI::App& app, CommandAction& action);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_DLQ_COMMAND_H_
