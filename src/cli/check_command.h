// `schedctl check --config FILE [--ack-deadline S] [--max-delivery-attempts N] [--expect-outage D] [--offline]`: loads the
// config, reads the subscription's ack deadline, dead-letter policy and retention from Pub/Sub when it
// is reachable (PUBSUB_EMULATOR_HOST or the real service; short timeout), else takes the flags (or
// Pub/Sub's defaults), and prints the worst-case timeline of every backend and the backend outage it
// survives without a dead letter (src/budget). Exit codes:
// kExitOk, kExitFailure on a violation, kExitUsage on a bad config or flag. See docs/schedctl.md.
#ifndef SCHEDSVC_CLI_CHECK_COMMAND_H_
#define SCHEDSVC_CLI_CHECK_COMMAND_H_

#include <optional>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "src/budget/time_budget.h"
#include "src/cli/command.h"
#include "src/config/service_config.h"

namespace schedsvc::cli {

struct CheckOptions {
  // --config: the service's YAML config. Required.
  std::string config_path;
  // --ack-deadline: used when Pub/Sub is not reachable. Text as given (seconds or a duration).
  std::optional<std::string> ack_deadline;
  // --max-delivery-attempts: used when Pub/Sub is not reachable; 0 = no dead-letter policy.
  std::optional<int> max_delivery_attempts;
  // --offline: do not ask Pub/Sub at all.
  bool offline = false;
  // --expect-outage: the backend outage each backend should survive without a dead letter; shorter is
  // a warning. Text as given (a duration, e.g. 2h). Default 1h (budget::kDefaultExpectedOutage).
  std::optional<std::string> expect_outage;
  // How long the Pub/Sub lookup may take. Default 5 s.
  absl::Duration pubsub_timeout = absl::Seconds(5);
};

// Adds the `check` subcommand to `app`; when it is parsed, sets `action` to run it on std::cout /
// std::cerr. `action` must outlive parsing.
void RegisterCheckCommand(CLI::App& app, CommandAction& action);

// Runs the check: the report goes to `out`, errors to `err`. Returns the exit code.
int RunCheck(const CheckOptions& options, std::ostream& out, std::ostream& err);

// Runs the check on `config` as loaded from options.config_path (which only names it in the report).
// A config with ingest: push gets the push model; without Pub/Sub or --ack-deadline, its ack deadline
// is push.ack_deadline.
int RunCheckOnConfig(const CheckOptions& options, const config::ServiceConfig& config, std::ostream& out,
                     std::ostream& err);

// Returns the budget limits a subscription resource states (Pub/Sub's defaults for unset fields;
// max_delivery_attempts 0 when it has no dead-letter policy; the retry policy's bounds).
budget::SubscriptionLimits LimitsFromSubscription(const google::pubsub::v1::Subscription& subscription);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_CHECK_COMMAND_H_
