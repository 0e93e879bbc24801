#include "src/cli/check_command.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/budget/timeline_text.h"
#include "src/common/duration.h"
#include "src/config/config_loader.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/connection_options.h"
#include "src/pubsub/limits.h"

namespace schedsvc::cli {
namespace {

struct ResolvedLimits {
  budget::SubscriptionLimits limits;
  std::string ack_deadline_source;
  std::string delivery_attempts_source;
  std::string retention_source;
  std::string retry_policy_source;
  std::string note;  // why Pub/Sub was not used, or which flags were ignored
  bool from_pubsub = false;  // the limits are the subscription's own
};

std::string FirstLine(absl::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

absl::Status ValidateFlags(const CheckOptions& options, budget::SubscriptionLimits& flags,
                           absl::Duration& expected_outage) {
  if (options.expect_outage) {
    auto d = ParseDurationText(*options.expect_outage);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--expect-outage: ", d.status().message()));
    if (*d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--expect-outage: must be positive, got ", *options.expect_outage));
    }
    expected_outage = *d;
  }
  if (options.ack_deadline) {
    auto d = ParseDurationText(*options.ack_deadline);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--ack-deadline: ", d.status().message()));
    if (*d < pubsub::kMinAckDeadline || *d > pubsub::kMaxAckDeadline) {
      return absl::InvalidArgumentError(absl::StrCat("--ack-deadline: must be between ",
                                                     absl::ToInt64Seconds(pubsub::kMinAckDeadline), " and ",
                                                     absl::ToInt64Seconds(pubsub::kMaxAckDeadline), " seconds, got ",
                                                     *options.ack_deadline));
    }
    flags.ack_deadline = *d;
  }
  if (options.max_delivery_attempts) {
    const int n = *options.max_delivery_attempts;
    if (n != 0 && (n < pubsub::kMinDeliveryAttempts || n > pubsub::kMaxDeliveryAttempts)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--max-delivery-attempts: must be 0 (no dead-letter policy) or between ",
          pubsub::kMinDeliveryAttempts, " and ", pubsub::kMaxDeliveryAttempts, ", got ", n));
    }
    flags.max_delivery_attempts = n;
  }
  return absl::OkStatus();
}

ResolvedLimits FromFlags(const CheckOptions& options, const budget::SubscriptionLimits& flags,
                         std::string why_not_pubsub) {
  ResolvedLimits r;
  r.limits = flags;
  r.ack_deadline_source = options.ack_deadline ? "--ack-deadline" : "Pub/Sub's default; no --ack-deadline";
  r.delivery_attempts_source = options.max_delivery_attempts
                                   ? "--max-delivery-attempts"
                                   : "Pub/Sub's default; no --max-delivery-attempts";
  r.retention_source = "Pub/Sub's default";
  r.retry_policy_source = "Pub/Sub's default";
  r.note = std::move(why_not_pubsub);
  return r;
}

ResolvedLimits Resolve(const CheckOptions& options, const std::string& subscription,
                       const budget::SubscriptionLimits& flags, bool push) {
  if (options.offline) return FromFlags(options, flags, "Pub/Sub not asked (--offline)");
  pubsub::ConnectionOptions connection;
  connection.rpc_timeout = options.pubsub_timeout;
  const pubsub::ResolvedEndpoint endpoint = pubsub::ResolveEndpoint(connection);
  auto client = pubsub::MakeAdminClient(connection);
  auto found = client->GetSubscription(subscription);
  if (!found.ok()) {
    return FromFlags(options, flags,
                     absl::StrCat("Pub/Sub at ", endpoint.address, " did not give the subscription (",
                                  absl::StatusCodeToString(found.status().code()), ": ",
                                  FirstLine(found.status().message()), ")"));
  }
  ResolvedLimits r;
  r.from_pubsub = true;
  r.limits = LimitsFromSubscription(*found);
  const std::string source = absl::StrCat("from Pub/Sub at ", endpoint.address);
  r.ack_deadline_source = source;
  r.delivery_attempts_source = found->has_dead_letter_policy()
                                   ? source
                                   : absl::StrCat(source, ": no dead-letter policy");
  r.retention_source = source;
  r.retry_policy_source = found->has_retry_policy()
                              ? source
                              : absl::StrCat(source, ": no retry policy, modelled with Pub/Sub's bounds");
  if (options.ack_deadline || options.max_delivery_attempts) {
    r.note = "flags ignored: the subscription's own settings win";
  }
  const bool push_subscription = !found->push_config().push_endpoint().empty();
  if (push && !push_subscription) {
    r.note = absl::StrCat(r.note.empty() ? "" : r.note + "; ",
                          "the subscription is a pull subscription but the config has ingest: push");
  } else if (!push && push_subscription) {
    r.note = absl::StrCat(r.note.empty() ? "" : r.note + "; ",
                          "the subscription is a push subscription but the config has ingest: pull");
  }
  return r;
}

void PrintHeader(const std::string& path, const config::ServiceConfig& config,
                 const ResolvedLimits& r, std::ostream& out) {
  out << "schedctl check: " << path << "\n"
      << "subscription " << config.subscription << "\n"
      << "  ack deadline:          " << FormatDurationText(r.limits.ack_deadline) << " ("
      << r.ack_deadline_source << ")\n"
      << "  max delivery attempts: "
      << (r.limits.max_delivery_attempts > 0 ? absl::StrCat(r.limits.max_delivery_attempts)
                                              : std::string("unbounded"))
      << " (" << r.delivery_attempts_source << ")\n"
      << "  message retention:     " << FormatDurationText(r.limits.message_retention) << " ("
      << r.retention_source << ")\n";
  if (config.ingest == config::IngestMode::kPush) {
    out << "  retry policy:          " << FormatDurationText(r.limits.retry_minimum_backoff) << ".."
        << FormatDurationText(r.limits.retry_maximum_backoff) << " (" << r.retry_policy_source << ")\n";
  }
  if (!r.note.empty()) out << "  note: " << r.note << "\n";
  out << "\n";
}

}  // namespace

budget::SubscriptionLimits LimitsFromSubscription(const google::pubsub::v1::Subscription& s) {
  budget::SubscriptionLimits limits;
  if (s.ack_deadline_seconds() > 0) limits.ack_deadline = absl::Seconds(s.ack_deadline_seconds());
  if (!s.has_dead_letter_policy()) {
    limits.max_delivery_attempts = 0;
  } else if (s.dead_letter_policy().max_delivery_attempts() > 0) {
    limits.max_delivery_attempts = s.dead_letter_policy().max_delivery_attempts();
  }
  if (s.has_message_retention_duration()) {
    const absl::Duration retention = absl::Seconds(s.message_retention_duration().seconds()) +
                                     absl::Nanoseconds(s.message_retention_duration().nanos());
    if (retention > absl::ZeroDuration()) limits.message_retention = retention;
  }
  if (s.has_retry_policy()) {
    const auto& rp = s.retry_policy();
    if (rp.has_minimum_backoff()) {
      limits.retry_minimum_backoff =
          absl::Seconds(rp.minimum_backoff().seconds()) + absl::Nanoseconds(rp.minimum_backoff().nanos());
    }
    if (rp.has_maximum_backoff()) {
      limits.retry_maximum_backoff =
          absl::Seconds(rp.maximum_backoff().seconds()) + absl::Nanoseconds(rp.maximum_backoff().nanos());
    }
  }
  return limits;
}

int RunCheck(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  // Flags first, so a bad flag is reported before the config is read (RunCheckOnConfig checks them again).
  budget::SubscriptionLimits flags;
  absl::Duration expected_outage = budget::kDefaultExpectedOutage;
  if (absl::Status st = ValidateFlags(options, flags, expected_outage); !st.ok()) {
    err << "schedctl check: " << st.message() << "\n";
    return kExitUsage;
  }
  auto config = config::LoadServiceConfig(options.config_path);
  if (!config.ok()) {
    err << "schedctl check: " << config.status().message() << "\n";
    return kExitUsage;
  }
  return RunCheckOnConfig(options, *config, out, err);
}

int RunCheckOnConfig(const CheckOptions& options, const config::ServiceConfig& config, std::ostream& out,
                     std::ostream& err) {
  budget::SubscriptionLimits flags;
  absl::Duration expected_outage = budget::kDefaultExpectedOutage;
  if (absl::Status st = ValidateFlags(options, flags, expected_outage); !st.ok()) {
    err << "schedctl check: " << st.message() << "\n";
    return kExitUsage;
  }
  const bool push = config.ingest == config::IngestMode::kPush;
  // Without Pub/Sub's word or a flag, a push subscription's ack deadline is push.ack_deadline: what
  // `schedctl pubsub apply` sets.
  if (push && !options.ack_deadline) flags.ack_deadline = config.push.ack_deadline;
  ResolvedLimits resolved = Resolve(options, config.subscription, flags, push);
  if (push && !options.ack_deadline && !resolved.from_pubsub) {
    resolved.ack_deadline_source = "push.ack_deadline in the config; no --ack-deadline";
  }
  PrintHeader(options.config_path, config, resolved, out);
  const budget::BudgetReport report = budget::ComputeTimeBudget(config, resolved.limits, expected_outage);
  out << budget::RenderTimeBudget(report);
  out.flush();
  return report.ok() ? kExitOk : kExitFailure;
}

void RegisterCheckCommand(CLI::App& app, CommandAction& action) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* sub = app.add_subcommand(
      "check", "Compute each backend's worst-case timeline against the subscription's ack deadline, "
               "lease.max_extension and max delivery attempts; exit 1 on a violation");
  sub->add_option("--config", options->config_path, "schedule-service config file (YAML)")
      ->required();
  sub->add_option_function<std::string>(
      "--ack-deadline", [options](const std::string& v) { options->ack_deadline = v; },
      "ack deadline (seconds, or e.g. 10m) when Pub/Sub is not reachable");
  sub->add_option_function<int>(
      "--max-delivery-attempts", [options](int v) { options->max_delivery_attempts = v; },
      "dead-letter max delivery attempts when Pub/Sub is not reachable (0 = no dead-letter policy)");
  sub->add_option_function<std::string>(
      "--expect-outage", [options](const std::string& v) { options->expect_outage = v; },
      "backend outage each backend should survive without a dead letter (e.g. 2h; default 1h): warn if shorter");
  sub->add_flag("--offline", options->offline, "do not ask Pub/Sub; use the flags or Pub/Sub's defaults");
  sub->callback([options, &action] {
    action = [options] { return RunCheck(*options, std::cout, std::cerr); };
  });
}

}  // namespace schedsvc::cli
