#include "src/cli/pubsub_apply_command.h"

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/duration.pb.h"
#include "src/common/duration.h"
#include "src/config/config_loader.h"
#include "src/pubsub/limits.h"
#include "src/pubsub/resource_names.h"

namespace schedsvc::cli {
namespace {

namespace v1 = ::google::pubsub::v1;

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

void ToProto(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

std::string Text(absl::Duration d) { return FormatDurationText(d); }

// Creates `topic` unless it exists; writes the outcome.
absl::StatusOr<bool> EnsureTopic(pubsub::AdminClient& client, const std::string& topic,
                                 std::ostream& out) {
  auto existing = client.GetTopic(topic);
  if (existing.ok()) {
    out << "topic " << topic << ": unchanged\n";
    return false;
  }
  if (existing.status().code() != absl::StatusCode::kNotFound) {
    return absl::Status(existing.status().code(),
                        absl::StrCat("looking up topic ", topic, ": ", existing.status().message()));
  }
  auto created = client.CreateTopic(topic);
  if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
    return absl::Status(created.status().code(),
                        absl::StrCat("creating topic ", topic, ": ", created.status().message()));
  }
  out << "topic " << topic << ": created\n";
  return true;
}

// Creates or updates `desired` (name, topic, ack deadline, optional policies); writes the outcome.
absl::StatusOr<bool> EnsureSubscription(pubsub::AdminClient& client, const v1::Subscription& desired,
                                        std::ostream& out) {
  const std::string& name = desired.name();
  auto existing = client.GetSubscription(name);
  if (!existing.ok()) {
    if (existing.status().code() != absl::StatusCode::kNotFound) {
      return absl::Status(existing.status().code(), absl::StrCat("looking up subscription ", name, ": ",
                                                                 existing.status().message()));
    }
    auto created = client.CreateSubscription(desired);
    if (!created.ok()) {
      return absl::Status(created.status().code(), absl::StrCat("creating subscription ", name, ": ",
                                                                created.status().message()));
    }
    out << "subscription " << name << ": created\n";
    return true;
  }
  if (existing->topic() != desired.topic()) {
    return absl::FailedPreconditionError(
        absl::StrCat("subscription ", name, " reads topic ", existing->topic(), ", not ", desired.topic(),
                     "; a subscription's topic cannot be changed (delete it or pass --topic ",
                     existing->topic(), ")"));
  }
  std::vector<std::string> paths;
  std::vector<std::string> changes;
  if (existing->ack_deadline_seconds() != desired.ack_deadline_seconds()) {
    paths.push_back("ack_deadline_seconds");
    changes.push_back(absl::StrCat("ack_deadline_seconds ", existing->ack_deadline_seconds(), " → ",
                                   desired.ack_deadline_seconds()));
  }
  const auto& have_dl = existing->dead_letter_policy();
  const auto& want_dl = desired.dead_letter_policy();
  if (have_dl.dead_letter_topic() != want_dl.dead_letter_topic() ||
      (want_dl.dead_letter_topic().empty() ? false
                                           : have_dl.max_delivery_attempts() != want_dl.max_delivery_attempts())) {
    paths.push_back("dead_letter_policy");
    if (have_dl.dead_letter_topic() != want_dl.dead_letter_topic()) {
      changes.push_back(absl::StrCat("dead_letter_topic ",
                                     have_dl.dead_letter_topic().empty() ? "(none)" : have_dl.dead_letter_topic(),
                                     " → ",
                                     want_dl.dead_letter_topic().empty() ? "(none)" : want_dl.dead_letter_topic()));
    }
    if (have_dl.max_delivery_attempts() != want_dl.max_delivery_attempts() &&
        !want_dl.dead_letter_topic().empty()) {
      changes.push_back(absl::StrCat("max_delivery_attempts ", have_dl.max_delivery_attempts(), " → ",
                                     want_dl.max_delivery_attempts()));
    }
  }
  if (desired.has_retry_policy()) {
    const absl::Duration have_min = FromProto(existing->retry_policy().minimum_backoff());
    const absl::Duration have_max = FromProto(existing->retry_policy().maximum_backoff());
    const absl::Duration want_min = FromProto(desired.retry_policy().minimum_backoff());
    const absl::Duration want_max = FromProto(desired.retry_policy().maximum_backoff());
    if (!existing->has_retry_policy() || have_min != want_min || have_max != want_max) {
      paths.push_back("retry_policy");
      if (!existing->has_retry_policy()) {
        changes.push_back(absl::StrCat("retry_policy (none) → ", Text(want_min), "..", Text(want_max)));
      } else {
        if (have_min != want_min) changes.push_back(absl::StrCat("minimum_backoff ", Text(have_min), " → ", Text(want_min)));
        if (have_max != want_max) changes.push_back(absl::StrCat("maximum_backoff ", Text(have_max), " → ", Text(want_max)));
      }
    }
  }
  if (paths.empty()) {
    out << "subscription " << name << ": unchanged\n";
    return false;
  }
  auto updated = client.UpdateSubscription(desired, paths);
  if (!updated.ok()) {
    return absl::Status(updated.status().code(), absl::StrCat("updating subscription ", name, ": ",
                                                              updated.status().message()));
  }
  out << "subscription " << name << ": updated: " << absl::StrJoin(changes, ", ") << "\n";
  return true;
}

}  // namespace

absl::StatusOr<PubsubSetup> ResolvePubsubSetup(const config::ServiceConfig& config,
                                               const PubsubApplyOptions& options) {
  PubsubSetup setup;
  auto subscription = pubsub::ResolveSubscriptionName(config.subscription, config.project);
  if (!subscription.ok()) return subscription.status();
  setup.subscription = *subscription;
  auto parsed = pubsub::ParseSubscriptionName(setup.subscription);
  if (!parsed.ok()) return parsed.status();
  if (!options.topic.empty()) {
    auto topic = pubsub::ResolveTopicName(options.topic, parsed->project);
    if (!topic.ok()) return topic.status();
    setup.topic = *topic;
  }
  if (!config.dead_letter_topic.empty()) {
    auto dl = pubsub::ResolveTopicName(config.dead_letter_topic, parsed->project);
    if (!dl.ok()) return dl.status();
    setup.dead_letter_topic = *dl;
    auto dl_parsed = pubsub::ParseTopicName(*dl);
    if (!dl_parsed.ok()) return dl_parsed.status();
    auto inspect = pubsub::MakeSubscriptionName(dl_parsed->project, absl::StrCat(dl_parsed->id, "-inspect"));
    if (!inspect.ok()) return inspect.status();
    setup.inspect_subscription = *inspect;
  }
  const std::int64_t min_ack_deadline_seconds = absl::ToInt64Seconds(pubsub::kMinAckDeadline);
  const std::int64_t max_ack_deadline_seconds = absl::ToInt64Seconds(pubsub::kMaxAckDeadline);
  if (options.ack_deadline_seconds < min_ack_deadline_seconds ||
      options.ack_deadline_seconds > max_ack_deadline_seconds) {
    return absl::InvalidArgumentError(absl::StrCat("--ack-deadline must be ", min_ack_deadline_seconds, "-",
                                                   max_ack_deadline_seconds, " seconds, got ",
                                                   options.ack_deadline_seconds));
  }
  if (options.max_delivery_attempts < pubsub::kMinDeliveryAttempts ||
      options.max_delivery_attempts > pubsub::kMaxDeliveryAttempts) {
    return absl::InvalidArgumentError(absl::StrCat("--max-delivery-attempts must be ", pubsub::kMinDeliveryAttempts,
                                                   "-", pubsub::kMaxDeliveryAttempts, ", got ",
                                                   options.max_delivery_attempts));
  }
  if (options.min_backoff < absl::ZeroDuration() || options.min_backoff > pubsub::kMaxRetryPolicyBackoff ||
      options.max_backoff < absl::ZeroDuration() || options.max_backoff > pubsub::kMaxRetryPolicyBackoff) {
    return absl::InvalidArgumentError(absl::StrCat("--min-backoff and --max-backoff must be 0s-",
                                                   absl::ToInt64Seconds(pubsub::kMaxRetryPolicyBackoff), "s"));
  }
  if (options.min_backoff > options.max_backoff) {
    return absl::InvalidArgumentError(absl::StrCat("--min-backoff ", Text(options.min_backoff),
                                                   " is above --max-backoff ", Text(options.max_backoff)));
  }
  setup.ack_deadline_seconds = options.ack_deadline_seconds;
  setup.max_delivery_attempts = options.max_delivery_attempts;
  setup.min_backoff = options.min_backoff;
  setup.max_backoff = options.max_backoff;
  return setup;
}

absl::StatusOr<int> ApplyPubsubSetup(const PubsubSetup& setup, pubsub::AdminClient& client,
                                     std::ostream& out) {
  int changed = 0;
  std::string topic = setup.topic;
  if (topic.empty()) {
    auto existing = client.GetSubscription(setup.subscription);
    if (!existing.ok()) {
      if (existing.status().code() == absl::StatusCode::kNotFound) {
        return absl::InvalidArgumentError(absl::StrCat("subscription ", setup.subscription,
                                                       " does not exist yet: pass --topic to say which topic it reads"));
      }
      return existing.status();
    }
    topic = existing->topic();
  }
  auto step = EnsureTopic(client, topic, out);
  if (!step.ok()) return step.status();
  changed += *step ? 1 : 0;
  if (!setup.dead_letter_topic.empty()) {
    step = EnsureTopic(client, setup.dead_letter_topic, out);
    if (!step.ok()) return step.status();
    changed += *step ? 1 : 0;
  }
  v1::Subscription desired;
  desired.set_name(setup.subscription);
  desired.set_topic(topic);
  desired.set_ack_deadline_seconds(setup.ack_deadline_seconds);
  if (!setup.dead_letter_topic.empty()) {
    desired.mutable_dead_letter_policy()->set_dead_letter_topic(setup.dead_letter_topic);
    desired.mutable_dead_letter_policy()->set_max_delivery_attempts(setup.max_delivery_attempts);
  }
  ToProto(setup.min_backoff, desired.mutable_retry_policy()->mutable_minimum_backoff());
  ToProto(setup.max_backoff, desired.mutable_retry_policy()->mutable_maximum_backoff());
  step = EnsureSubscription(client, desired, out);
  if (!step.ok()) return step.status();
  changed += *step ? 1 : 0;
  if (!setup.inspect_subscription.empty()) {
    v1::Subscription inspect;
    inspect.set_name(setup.inspect_subscription);
    inspect.set_topic(setup.dead_letter_topic);
    inspect.set_ack_deadline_seconds(60);  // time for `dlq replay` to publish before a lease lapses
    step = EnsureSubscription(client, inspect, out);
    if (!step.ok()) return step.status();
    changed += *step ? 1 : 0;
  }
  return changed;
}

void PrintDeadLetterIamBindings(const PubsubSetup& setup, std::ostream& out) {
  if (setup.dead_letter_topic.empty()) {
    out << "\nNo dead_letter_topic in the config: no dead-letter policy, no IAM bindings needed.\n";
    return;
  }
  auto sub = pubsub::ParseSubscriptionName(setup.subscription);
  auto dl = pubsub::ParseTopicName(setup.dead_letter_topic);
  if (!sub.ok() || !dl.ok()) return;
  out << "\nOn real Pub/Sub, dead-lettering needs the Pub/Sub service agent to publish to the dead-letter\n"
         "topic and to subscribe to the source subscription (PROJECT_NUMBER is the number of project "
      << sub->project << "):\n"
      << "  gcloud pubsub topics add-iam-policy-binding " << dl->id << " --project=" << dl->project
      << " \\\n      --member=serviceAccount:service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com"
         " --role=roles/pubsub.publisher\n"
      << "  gcloud pubsub subscriptions add-iam-policy-binding " << sub->id << " --project=" << sub->project
      << " \\\n      --member=serviceAccount:service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com"
         " --role=roles/pubsub.subscriber\n";
}

int RunPubsubApply(const PubsubApplyOptions& options, std::ostream& out, std::ostream& err) {
  auto config = config::LoadServiceConfig(options.config_path);
  if (!config.ok()) {
    err << "schedctl pubsub apply: " << config.status().message() << "\n";
    return kExitUsage;
  }
  auto setup = ResolvePubsubSetup(*config, options);
  if (!setup.ok()) {
    err << "schedctl pubsub apply: " << setup.status().message() << "\n";
    return kExitUsage;
  }
  auto client = pubsub::MakeAdminClient();
  auto changed = ApplyPubsubSetup(*setup, *client, out);
  if (!changed.ok()) {
    err << "schedctl pubsub apply: " << changed.status().message() << "\n";
    return changed.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  out << (*changed == 0 ? "Nothing to change.\n" : absl::StrCat(*changed, " resource(s) changed.\n"));
  PrintDeadLetterIamBindings(*setup, out);
  return kExitOk;
}

void RegisterPubsubApplyCommand(CLI::App& app, CommandAction& action) {
  CLI::App* pubsub = app.add_subcommand("pubsub", "Pub/Sub set-up for schedule-service");
  pubsub->require_subcommand(1);
  auto options = std::make_shared<PubsubApplyOptions>();
  CLI::App* sub = pubsub->add_subcommand(
      "apply", "Create or update the topic, subscription, dead-letter topic and its inspection subscription");
  sub->add_option("--config", options->config_path, "schedule-service config file (YAML)")->required();
  sub->add_option("--topic", options->topic,
                  "topic the subscription reads (id or full name; default: the existing subscription's)");
  sub->add_option("--ack-deadline", options->ack_deadline_seconds, "ack deadline in seconds (10-600)")
      ->capture_default_str();
  sub->add_option("--max-delivery-attempts", options->max_delivery_attempts,
                  "deliveries before a message is dead-lettered (5-100)")
      ->capture_default_str();
  auto duration_flag = [](absl::Duration* target) {
    return [target](const std::string& text) {
      auto d = ParseDurationText(text);
      if (!d.ok()) throw CLI::ValidationError(std::string(d.status().message()));
      *target = *d;
    };
  };
  sub->add_option_function<std::string>("--min-backoff", duration_flag(&options->min_backoff),
                                        "retry policy minimum backoff (default 10s)");
  sub->add_option_function<std::string>("--max-backoff", duration_flag(&options->max_backoff),
                                        "retry policy maximum backoff (default 600s)");
  sub->callback([options, &action] {
    action = [options] { return RunPubsubApply(*options, std::cout, std::cerr); };
  });
}

}  // namespace schedsvc::cli
