// `schedctl pubsub apply`: idempotently creates or updates the Pub/Sub resources schedule-service
// needs — the source topic, the subscription (ack deadline, dead-letter policy, retry policy), the
// dead-letter topic and an inspection subscription on it ("<dead-letter-topic-id>-inspect") — prints
// one line per resource saying what changed, then the IAM bindings real Pub/Sub needs for
// dead-lettering (and, for a push subscription with OIDC, for signing its token) as gcloud commands.
// The subscription is a pull subscription for a config with `ingest: pull`, a push subscription
// (--push-endpoint, the OIDC service account and audience, the wrapper, ackDeadlineSeconds =
// push.ack_deadline) for `ingest: push`; a subscription of the other kind is reported, not converted. See docs/schedctl.md "## pubsub apply". Not thread-safe (a CLI).
#ifndef SCHEDSVC_CLI_PUBSUB_APPLY_COMMAND_H_
#define SCHEDSVC_CLI_PUBSUB_APPLY_COMMAND_H_

#include <optional>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/cli/command.h"
#include "src/config/service_config.h"
#include "src/pubsub/admin_client.h"

namespace schedsvc::cli {

struct PubsubApplyOptions {
  // --config: the service's YAML config (subscription, dead_letter_topic). Required.
  std::string config_path;
  // --topic: the topic the subscription reads (id or full name). Default: the existing subscription's
  // topic; required when the subscription does not exist yet.
  std::string topic;
  // --ack-deadline: seconds, 10-600. Default 600 for a pull subscription; a push subscription takes
  // push.ack_deadline from the config (a different --ack-deadline is refused).
  std::optional<int> ack_deadline_seconds;
  // --max-delivery-attempts: dead-letter policy, 5-100. Default 5. Used only with a dead_letter_topic.
  int max_delivery_attempts = 5;
  // --min-backoff / --max-backoff: the subscription's retry policy, 0-600 s. Default 10s / 600s.
  absl::Duration min_backoff = absl::Seconds(10);
  absl::Duration max_backoff = absl::Seconds(600);
  // --push-endpoint: the URL Pub/Sub pushes to; its path must be push.path. Required with a config
  // with `ingest: push`, refused with a pull config.
  std::string push_endpoint;
  // --push-service-account: the service account whose OIDC token Pub/Sub attaches; must be one of
  // push.auth.oidc.service_accounts. Default: the only entry of that list. Refused with push.auth: none.
  std::string push_service_account;
  // --push-no-wrapper: push the message data as the body, without the JSON envelope. Default false.
  bool push_no_wrapper = false;
  // --push-no-wrapper-write-metadata: with --push-no-wrapper, attributes and x-goog-pubsub-* metadata
  // as headers. Default false.
  bool push_write_metadata = false;
};

// The desired state, resolved from the config and the options.
struct PubsubSetup {
  std::string topic;                     // full name; empty = take the subscription's existing topic
  std::string subscription;              // full name
  std::string dead_letter_topic;         // full name or empty
  std::string inspect_subscription;      // full name or empty
  int ack_deadline_seconds = 600;
  int max_delivery_attempts = 5;
  absl::Duration min_backoff = absl::Seconds(10);
  absl::Duration max_backoff = absl::Seconds(600);
  // A push subscription when push_endpoint is set; a pull subscription otherwise.
  std::string push_endpoint;
  std::string push_service_account;  // OIDC token's signer; empty = no token (push.auth: none)
  std::string push_audience;         // OIDC token's audience (push.auth.oidc.audience)
  bool push_no_wrapper = false;
  bool push_write_metadata = false;
};

// Returns `url` without user info and query (what an error or output line may show of an endpoint).
std::string RedactedEndpoint(const std::string& url);

// Validates `options` against `config`; kInvalidArgument naming the bad value.
absl::StatusOr<PubsubSetup> ResolvePubsubSetup(const config::ServiceConfig& config,
                                               const PubsubApplyOptions& options);

// Applies `setup` through `client`, writing one line per resource to `out` ("created", "updated: ...",
// "unchanged"). Returns the number of resources created or updated, or the first error.
absl::StatusOr<int> ApplyPubsubSetup(const PubsubSetup& setup, pubsub::AdminClient& client,
                                     std::ostream& out);

// Writes the gcloud commands granting the Pub/Sub service agent what dead-lettering needs.
void PrintDeadLetterIamBindings(const PubsubSetup& setup, std::ostream& out);

// Writes what a push subscription needs on real Pub/Sub: the gcloud command letting the Pub/Sub
// service agent sign OIDC tokens for the push service account. Nothing for a pull subscription.
void PrintPushIamBindings(const PubsubSetup& setup, std::ostream& out);

void RegisterPubsubApplyCommand(CLI::App& app, CommandAction& action);

int RunPubsubApply(const PubsubApplyOptions& options, std::ostream& out, std::ostream& err);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_PUBSUB_APPLY_COMMAND_H_
