#include "src/cli/pubsub_apply_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
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

bool IsPush(const v1::Subscription& s) { return !s.push_config().push_endpoint().empty(); }

std::string OidcText(const v1::PushConfig& p) {
  if (!p.has_oidc_token()) return "(none)";
  return absl::StrCat(p.oidc_token().service_account_email(), " for audience ", p.oidc_token().audience());
}

std::string WrapperText(const v1::PushConfig& p) {
  if (!p.has_no_wrapper()) return "wrapped";
  return p.no_wrapper().write_metadata() ? "no wrapper, metadata in headers" : "no wrapper";
}

// Adds "push_config" to `paths` and says what differs when `have` and `want` differ in endpoint, OIDC
// token or wrapper (the attributes, which Pub/Sub fills with x-goog-version, are not ours to compare).
void ComparePushConfig(const v1::PushConfig& have, const v1::PushConfig& want, std::vector<std::string>& paths,
                       std::vector<std::string>& changes) {
  std::vector<std::string> diff;
  if (have.push_endpoint() != want.push_endpoint()) {
    diff.push_back(absl::StrCat("push_endpoint ", RedactedEndpoint(have.push_endpoint()), " → ",
                                RedactedEndpoint(want.push_endpoint())));
  }
  if (OidcText(have) != OidcText(want)) {
    diff.push_back(absl::StrCat("oidc_token ", OidcText(have), " → ", OidcText(want)));
  }
  if (WrapperText(have) != WrapperText(want)) {
    diff.push_back(absl::StrCat("wrapper ", WrapperText(have), " → ", WrapperText(want)));
  }
  if (diff.empty()) return;
  paths.push_back("push_config");
  changes.insert(changes.end(), diff.begin(), diff.end());
}

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
    out << "subscription " << name << ": created";
    if (IsPush(desired)) out << " (push to " << RedactedEndpoint(desired.push_config().push_endpoint()) << ")";
    out << "\n";
    return true;
  }
  if (existing->topic() != desired.topic()) {
    return absl::FailedPreconditionError(
        absl::StrCat("subscription ", name, " reads topic ", existing->topic(), ", not ", desired.topic(),
                     "; a subscription's topic cannot be changed (delete it or pass --topic ",
                     existing->topic(), ")"));
  }
  if (IsPush(*existing) != IsPush(desired)) {
    if (IsPush(*existing)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "subscription ", name, " is a push subscription (to ", RedactedEndpoint(existing->push_config().push_endpoint()),
          ") but the config has ingest: pull; schedctl does not convert it: name another subscription in the "
          "config, or make it a pull subscription with `gcloud pubsub subscriptions modify-push-config ", name,
          " --push-endpoint=\"\"` (the push endpoint then gets nothing)"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "subscription ", name, " is a pull subscription but the config has ingest: push; schedctl does not "
        "convert it: name another subscription in the config, or make it a push subscription with `gcloud "
        "pubsub subscriptions modify-push-config ", name, " --push-endpoint=URL` (pull-mode pods reading it "
        "then get nothing)"));
  }
  std::vector<std::string> paths;
  std::vector<std::string> changes;
  if (IsPush(desired)) ComparePushConfig(existing->push_config(), desired.push_config(), paths, changes);
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

// Default ackDeadlineSeconds of a pull subscription: the longest Pub/Sub allows.
constexpr int kDefaultPullAckDeadlineSeconds = 600;

// The parts of an endpoint URL apply checks.
struct EndpointParts {
  std::string scheme;     // before "://"
  std::string authority;  // between "://" and the path, user info included
  std::string path;       // from the first "/" after the authority to "?" or "#"
  bool has_query = false;
  bool has_fragment = false;
};

EndpointParts SplitEndpoint(const std::string& url) {
  EndpointParts parts;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    parts.path = url;
    return parts;
  }
  parts.scheme = url.substr(0, scheme_end);
  const size_t authority_begin = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?#", authority_begin);
  parts.authority = url.substr(authority_begin, authority_end == std::string::npos ? std::string::npos
                                                                                   : authority_end - authority_begin);
  if (authority_end == std::string::npos) return parts;
  const size_t path_end = url.find_first_of("?#", authority_end);
  parts.path = url.substr(authority_end, path_end == std::string::npos ? std::string::npos : path_end - authority_end);
  if (path_end != std::string::npos) {
    parts.has_query = url[path_end] == '?';
    parts.has_fragment = url.find('#', path_end) != std::string::npos;
  }
  return parts;
}

// Validates --push-endpoint against the config's push.path. kInvalidArgument naming the problem; the
// message never shows user info or a query (either may carry a credential).
absl::Status ValidatePushEndpoint(const std::string& url, const config::PushConfig& push) {
  const EndpointParts parts = SplitEndpoint(url);
  if (parts.scheme != "https" && parts.scheme != "http") {
    return absl::InvalidArgumentError("--push-endpoint must be an https:// URL (http:// only for the emulator)");
  }
  if (absl::StrContains(parts.authority, '@')) {
    return absl::InvalidArgumentError("--push-endpoint must not carry user info (a credential in the URL)");
  }
  const std::string host = parts.authority;
  if (host.empty() || host[0] == ':') {
    return absl::InvalidArgumentError(absl::StrCat("--push-endpoint ", RedactedEndpoint(url), " names no host"));
  }
  if (parts.has_fragment) return absl::InvalidArgumentError("--push-endpoint must not have a #fragment");
  const std::string path = parts.path.empty() ? "/" : parts.path;
  if (path != push.path) {
    return absl::InvalidArgumentError(absl::StrCat("--push-endpoint's path ", path, " is not push.path ", push.path,
                                                   " from the config: Pub/Sub would push where the service does "
                                                   "not listen"));
  }
  return absl::OkStatus();
}

// Fills the push fields of `setup` from `config` (ingest: push) and `options`.
absl::Status ResolvePush(const config::ServiceConfig& config, const PubsubApplyOptions& options, PubsubSetup& setup) {
  if (options.push_endpoint.empty()) {
    return absl::InvalidArgumentError("--push-endpoint is required: the config has ingest: push");
  }
  if (absl::Status st = ValidatePushEndpoint(options.push_endpoint, config.push); !st.ok()) return st;
  if (options.push_write_metadata && !options.push_no_wrapper) {
    return absl::InvalidArgumentError("--push-no-wrapper-write-metadata needs --push-no-wrapper");
  }
  const absl::Duration deadline = config.push.ack_deadline;
  if (deadline < pubsub::kMinAckDeadline || deadline > pubsub::kMaxAckDeadline ||
      deadline != absl::Seconds(absl::ToInt64Seconds(deadline))) {
    return absl::InvalidArgumentError(absl::StrCat("push.ack_deadline must be whole seconds, ",
                                                   absl::ToInt64Seconds(pubsub::kMinAckDeadline), "-",
                                                   absl::ToInt64Seconds(pubsub::kMaxAckDeadline), "s, got ",
                                                   Text(deadline)));
  }
  const int deadline_seconds = static_cast<int>(absl::ToInt64Seconds(deadline));
  if (options.ack_deadline_seconds && *options.ack_deadline_seconds != deadline_seconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ack-deadline ", *options.ack_deadline_seconds, " disagrees with push.ack_deadline ", deadline_seconds,
        "s in the config: a push subscription's ack deadline is the service's whole budget for a delivery, so it "
        "comes from the config (leave out --ack-deadline)"));
  }
  setup.ack_deadline_seconds = deadline_seconds;
  setup.push_endpoint = options.push_endpoint;
  setup.push_no_wrapper = options.push_no_wrapper;
  setup.push_write_metadata = options.push_write_metadata;
  if (config.push.auth == config::PushAuthKind::kNone) {
    if (!options.push_service_account.empty()) {
      return absl::InvalidArgumentError(
          "--push-service-account given, but the config has push.auth: none (the service would not check the token)");
    }
    return absl::OkStatus();
  }
  const config::PushOidcConfig& oidc = config.push.oidc;
  if (oidc.audience.empty()) {
    return absl::InvalidArgumentError("push.auth.oidc.audience is empty: the token's audience must be set");
  }
  std::string account = options.push_service_account;
  if (account.empty()) {
    if (oidc.service_accounts.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pass --push-service-account: push.auth.oidc.service_accounts lists ", oidc.service_accounts.size(),
          " accounts, which one signs this subscription's tokens?"));
    }
    account = oidc.service_accounts[0];
  } else if (std::find(oidc.service_accounts.begin(), oidc.service_accounts.end(), account) ==
             oidc.service_accounts.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--push-service-account ", account,
        " is not in push.auth.oidc.service_accounts: the service would refuse its tokens (403)"));
  }
  setup.push_service_account = account;
  setup.push_audience = oidc.audience;
  return absl::OkStatus();
}

}  // namespace

std::string RedactedEndpoint(const std::string& url) {
  const EndpointParts parts = SplitEndpoint(url);
  if (parts.scheme.empty()) return "(not a URL)";
  const size_t at = parts.authority.rfind('@');
  const std::string host = at == std::string::npos ? parts.authority : parts.authority.substr(at + 1);
  return absl::StrCat(parts.scheme, "://", host, parts.path, parts.has_query ? "?…" : "");
}

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
  const int ack_deadline_seconds = options.ack_deadline_seconds.value_or(kDefaultPullAckDeadlineSeconds);
  if (ack_deadline_seconds < min_ack_deadline_seconds || ack_deadline_seconds > max_ack_deadline_seconds) {
    return absl::InvalidArgumentError(absl::StrCat("--ack-deadline must be ", min_ack_deadline_seconds, "-",
                                                   max_ack_deadline_seconds, " seconds, got ",
                                                   ack_deadline_seconds));
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
  setup.ack_deadline_seconds = ack_deadline_seconds;
  setup.max_delivery_attempts = options.max_delivery_attempts;
  setup.min_backoff = options.min_backoff;
  setup.max_backoff = options.max_backoff;
  if (config.ingest == config::IngestMode::kPush) {
    if (absl::Status st = ResolvePush(config, options, setup); !st.ok()) return st;
  } else if (!options.push_endpoint.empty() || !options.push_service_account.empty() || options.push_no_wrapper ||
             options.push_write_metadata) {
    return absl::InvalidArgumentError(
        "--push-endpoint, --push-service-account and --push-no-wrapper* need a config with ingest: push (this "
        "config's ingest is pull)");
  }
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
  if (!setup.push_endpoint.empty()) {
    v1::PushConfig& push = *desired.mutable_push_config();
    push.set_push_endpoint(setup.push_endpoint);
    if (!setup.push_service_account.empty()) {
      push.mutable_oidc_token()->set_service_account_email(setup.push_service_account);
      push.mutable_oidc_token()->set_audience(setup.push_audience);
    }
    if (setup.push_no_wrapper) push.mutable_no_wrapper()->set_write_metadata(setup.push_write_metadata);
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

void PrintPushIamBindings(const PubsubSetup& setup, std::ostream& out) {
  if (setup.push_endpoint.empty()) return;
  if (setup.push_service_account.empty()) {
    out << "\nPush subscription without an OIDC token (push.auth: none): anyone who can reach the endpoint can "
           "post to it.\n";
    return;
  }
  auto sub = pubsub::ParseSubscriptionName(setup.subscription);
  if (!sub.ok()) return;
  out << "\nOn real Pub/Sub, the push subscription's OIDC tokens are signed for " << setup.push_service_account
      << " by the Pub/Sub service agent, which needs (PROJECT_NUMBER is the number of project " << sub->project
      << "):\n"
      << "  gcloud iam service-accounts add-iam-policy-binding " << setup.push_service_account
      << " \\\n      --member=serviceAccount:service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com"
         " --role=roles/iam.serviceAccountTokenCreator\n";
  if (absl::StartsWith(setup.push_endpoint, "http://")) {
    out << "note: real Pub/Sub pushes only to https:// endpoints; http:// serves the emulator.\n";
  }
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
  PrintPushIamBindings(*setup, out);
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
  sub->add_option_function<int>(
      "--ack-deadline", [options](int v) { options->ack_deadline_seconds = v; },
      "ack deadline in seconds (10-600; default 600; a push subscription takes push.ack_deadline)");
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
  sub->add_option("--push-endpoint", options->push_endpoint,
                  "with ingest: push: the URL Pub/Sub pushes to (https://HOST + push.path)");
  sub->add_option("--push-service-account", options->push_service_account,
                  "with ingest: push: the service account signing the OIDC token (default: the only one in "
                  "push.auth.oidc.service_accounts)");
  sub->add_flag("--push-no-wrapper", options->push_no_wrapper,
                "with ingest: push: push the message data as the body, without the JSON envelope");
  sub->add_flag("--push-no-wrapper-write-metadata", options->push_write_metadata,
                "with --push-no-wrapper: attributes and x-goog-pubsub-* metadata as headers");
  sub->callback([options, &action] {
    action = [options] { return RunPubsubApply(*options, std::cout, std::cerr); };
  });
}

}  // namespace schedsvc::cli
