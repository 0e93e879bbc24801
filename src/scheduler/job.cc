#include "src/scheduler/job.h"

#include <array>
#include <cstddef>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/pubsub/limits.h"
#include "src/scheduler/runner/http_target_rules.h"
#include "src/scheduler/schedule/cron_schedule.h"

namespace schedsvc::scheduler {
namespace {

constexpr std::size_t kMaxJobIdLength = 500;
constexpr std::size_t kMaxDescriptionLength = 500;
constexpr std::size_t kMaxUriLength = 2083;
constexpr std::size_t kMaxHeadersBytes = 80 * 1024;
// Cloud Scheduler's limit on the size of a job.
constexpr std::size_t kMaxJobBytes = 1024 * 1024;

constexpr std::array<std::pair<JobState, absl::string_view>, 5> kStateNames = {{
    {JobState::kUnspecified, "STATE_UNSPECIFIED"},
    {JobState::kEnabled, "ENABLED"},
    {JobState::kPaused, "PAUSED"},
    {JobState::kDisabled, "DISABLED"},
    {JobState::kUpdateFailed, "UPDATE_FAILED"},
}};

constexpr std::array<std::pair<HttpMethod, absl::string_view>, 8> kMethodNames = {{
    {HttpMethod::kUnspecified, "HTTP_METHOD_UNSPECIFIED"},
    {HttpMethod::kPost, "POST"},
    {HttpMethod::kGet, "GET"},
    {HttpMethod::kHead, "HEAD"},
    {HttpMethod::kPut, "PUT"},
    {HttpMethod::kDelete, "DELETE"},
    {HttpMethod::kPatch, "PATCH"},
    {HttpMethod::kOptions, "OPTIONS"},
}};

bool IsJobIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

absl::Status ValidatePubsubTarget(const PubsubTarget& target, const JobName& job) {
  std::vector<absl::string_view> parts = absl::StrSplit(target.topic_name, '/');
  if (parts.size() != 4 || parts[0] != "projects" || parts[2] != "topics" || parts[1].empty() ||
      parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid topic name: \"", target.topic_name, "\"; expected projects/PROJECT/topics/TOPIC."));
  }
  if (parts[1] != job.project) {
    return absl::InvalidArgumentError(
        absl::StrCat("Pub/Sub topic must be in the job's project \"", job.project, "\"."));
  }
  if (target.data.empty() && target.attributes.empty()) {
    return absl::InvalidArgumentError(
        "Pub/Sub target must have non-empty data or at least one attribute.");
  }
  if (target.attributes.size() > pubsub::kMaxAttributes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Pub/Sub target has more than ", pubsub::kMaxAttributes, " attributes."));
  }
  return absl::OkStatus();
}

absl::Status ValidateHttpTarget(const HttpTarget& target) {
  if (!absl::StartsWith(target.uri, "http://") && !absl::StartsWith(target.uri, "https://")) {
    return absl::InvalidArgumentError("HttpTarget.uri must start with http:// or https://.");
  }
  if (target.uri.size() > kMaxUriLength) {
    return absl::InvalidArgumentError("HttpTarget.uri is longer than 2083 characters.");
  }
  if (absl::Status s = ValidateHttpTargetUriCharacters(target.uri); !s.ok()) return s;
  if (target.http_method == HttpMethod::kUnspecified) {
    return absl::InvalidArgumentError("HttpTarget.http_method is unspecified.");
  }
  if (!target.body.empty() && target.http_method != HttpMethod::kPost &&
      target.http_method != HttpMethod::kPut && target.http_method != HttpMethod::kPatch) {
    return absl::InvalidArgumentError(
        "HttpTarget.body is allowed only with HTTP methods POST, PUT and PATCH.");
  }
  std::size_t header_bytes = 0;
  for (const auto& [key, value] : target.headers) {
    if (absl::Status s = ValidateHttpTargetHeader(key, value); !s.ok()) return s;
    header_bytes += key.size() + value.size();
  }
  if (header_bytes >= kMaxHeadersBytes) {
    return absl::InvalidArgumentError("HttpTarget.headers must total less than 80 KB.");
  }
  if (target.oauth_token.has_value() && target.oidc_token.has_value()) {
    return absl::InvalidArgumentError(
        "HttpTarget may have an oauth_token or an oidc_token, not both.");
  }
  return absl::OkStatus();
}

// The bytes of the job's user-set strings (names, schedule, target fields, headers, attributes, data and
// body): what its serialized form is made of, give or take a few bytes of framing per field.
std::size_t JobSizeBytes(const Job& job) {
  std::size_t n = job.name.size() + job.description.size() + job.schedule.size() + job.time_zone.size();
  if (job.pubsub_target.has_value()) {
    n += job.pubsub_target->topic_name.size() + job.pubsub_target->data.size();
    for (const auto& [k, v] : job.pubsub_target->attributes) n += k.size() + v.size();
  }
  if (job.http_target.has_value()) {
    const HttpTarget& t = *job.http_target;
    n += t.uri.size() + t.body.size();
    for (const auto& [k, v] : t.headers) n += k.size() + v.size();
    if (t.oauth_token.has_value()) n += t.oauth_token->service_account_email.size() + t.oauth_token->scope.size();
    if (t.oidc_token.has_value()) n += t.oidc_token->service_account_email.size() + t.oidc_token->audience.size();
  }
  return n;
}

}  // namespace

absl::string_view JobStateName(JobState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "STATE_UNSPECIFIED";
}

absl::string_view HttpMethodName(HttpMethod method) {
  for (const auto& [value, name] : kMethodNames) {
    if (value == method) return name;
  }
  return "HTTP_METHOD_UNSPECIFIED";
}

absl::StatusOr<JobState> ParseJobState(absl::string_view name) {
  for (const auto& [value, n] : kStateNames) {
    if (n == name) return value;
  }
  return absl::InvalidArgumentError(absl::StrCat("Invalid value for enum State: \"", name, "\""));
}

absl::StatusOr<HttpMethod> ParseHttpMethod(absl::string_view name) {
  for (const auto& [value, n] : kMethodNames) {
    if (n == name) return value;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid value for enum HttpMethod: \"", name, "\""));
}

bool operator==(const PubsubTarget& a, const PubsubTarget& b) {
  return a.topic_name == b.topic_name && a.data == b.data && a.attributes == b.attributes;
}
bool operator==(const OAuthToken& a, const OAuthToken& b) {
  return a.service_account_email == b.service_account_email && a.scope == b.scope;
}
bool operator==(const OidcToken& a, const OidcToken& b) {
  return a.service_account_email == b.service_account_email && a.audience == b.audience;
}
bool operator==(const HttpTarget& a, const HttpTarget& b) {
  return a.uri == b.uri && a.http_method == b.http_method && a.headers == b.headers &&
         a.body == b.body && a.oauth_token == b.oauth_token && a.oidc_token == b.oidc_token;
}
bool operator==(const JobStatus& a, const JobStatus& b) {
  return a.code == b.code && a.message == b.message;
}
bool operator==(const Job& a, const Job& b) {
  const RetryPolicy& ra = a.retry_config;
  const RetryPolicy& rb = b.retry_config;
  return a.name == b.name && a.description == b.description &&
         a.pubsub_target == b.pubsub_target && a.http_target == b.http_target &&
         a.schedule == b.schedule && a.time_zone == b.time_zone &&
         ra.retry_count == rb.retry_count && ra.max_retry_duration == rb.max_retry_duration &&
         ra.min_backoff == rb.min_backoff && ra.max_backoff == rb.max_backoff &&
         ra.max_doublings == rb.max_doublings && a.attempt_deadline == b.attempt_deadline &&
         a.user_update_time == b.user_update_time && a.state == b.state && a.status == b.status &&
         a.schedule_time == b.schedule_time && a.last_attempt_time == b.last_attempt_time;
}

std::string JobName::Parent() const {
  return absl::StrCat("projects/", project, "/locations/", location);
}

std::string JobName::Full() const { return absl::StrCat(Parent(), "/jobs/", job_id); }

absl::StatusOr<JobName> ParseJobName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 6 || parts[0] != "projects" || parts[2] != "locations" ||
      parts[4] != "jobs" || parts[1].empty() || parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Job name must be formatted: \"projects/<PROJECT_ID>/locations/<LOCATION_ID>/jobs/<JOB_ID>\", "
        "got \"", name, "\"."));
  }
  absl::string_view id = parts[5];
  if (id.empty() || id.size() > kMaxJobIdLength) {
    return absl::InvalidArgumentError("Job id must be 1 to 500 characters long.");
  }
  for (char c : id) {
    if (!IsJobIdChar(c)) {
      return absl::InvalidArgumentError(
          "Job id may contain only letters ([A-Za-z]), numbers ([0-9]), hyphens (-), or underscores "
          "(_).");
    }
  }
  return JobName{std::string(parts[1]), std::string(parts[3]), std::string(id)};
}

absl::Status ValidateJob(const Job& job, absl::string_view parent) {
  absl::StatusOr<JobName> name = ParseJobName(job.name);
  if (!name.ok()) return name.status();
  if (name->Parent() != parent) {
    return absl::InvalidArgumentError(
        absl::StrCat("Job name \"", job.name, "\" is not under \"", parent, "\"."));
  }
  if (job.description.size() > kMaxDescriptionLength) {
    return absl::InvalidArgumentError("Job description must be at most 500 characters long.");
  }
  if (const std::size_t size = JobSizeBytes(job); size > kMaxJobBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Job is ", size, " bytes; a job must be at most 1 MiB (", kMaxJobBytes, " bytes)."));
  }
  const int targets = (job.pubsub_target.has_value() ? 1 : 0) + (job.http_target.has_value() ? 1 : 0);
  if (targets != 1) {
    return absl::InvalidArgumentError(
        "A job must have exactly one target: pubsubTarget or httpTarget.");
  }
  if (job.schedule.empty()) return absl::InvalidArgumentError("Schedule is required.");
  absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(job.schedule, job.time_zone);
  if (!schedule.ok()) {
    return absl::InvalidArgumentError("Schedule or time zone is invalid.");
  }
  if (absl::Status s = ValidateRetryPolicy(job.retry_config); !s.ok()) return s;
  if (job.pubsub_target.has_value()) {
    return ValidatePubsubTarget(*job.pubsub_target, *name);
  }
  if (job.attempt_deadline < kMinAttemptDeadline || job.attempt_deadline > kMaxAttemptDeadline) {
    return absl::InvalidArgumentError(
        "attemptDeadline for HTTP targets must be between 15 seconds and 30 minutes.");
  }
  return ValidateHttpTarget(*job.http_target);
}

}  // namespace schedsvc::scheduler
