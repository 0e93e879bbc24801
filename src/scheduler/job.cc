#include "src/scheduler/job.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/pubsub/limits.h"
#include "src/scheduler/runner/http_target_rules.h"
#include "src/scheduler/schedule/cron_schedule.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::google::protobuf::util::TimeUtil;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

constexpr std::size_t kMaxJobIdLength = 500;
constexpr std::size_t kMaxDescriptionLength = 500;
constexpr std::size_t kMaxUriLength = 2083;
constexpr std::size_t kMaxHeadersBytes = 80 * 1024;
// Cloud Scheduler's limit on the size of a job.
constexpr std::size_t kMaxJobBytes = 1024 * 1024;

bool IsJobIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

absl::Status ValidatePubsubTarget(const v1::PubsubTarget& target, const JobName& job) {
  std::vector<absl::string_view> parts = absl::StrSplit(target.topic_name(), '/');
  if (parts.size() != 4 || parts[0] != "projects" || parts[2] != "topics" || parts[1].empty() ||
      parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid topic name: \"", target.topic_name(), "\"; expected projects/PROJECT/topics/TOPIC."));
  }
  if (parts[1] != job.project) {
    return absl::InvalidArgumentError(
        absl::StrCat("Pub/Sub topic must be in the job's project \"", job.project, "\"."));
  }
  if (target.data().empty() && target.attributes().empty()) {
    return absl::InvalidArgumentError(
        "Pub/Sub target must have non-empty data or at least one attribute.");
  }
  if (static_cast<std::size_t>(target.attributes().size()) > pubsub::kMaxAttributes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Pub/Sub target has more than ", pubsub::kMaxAttributes, " attributes."));
  }
  return absl::OkStatus();
}

// `also_oidc_token`: the request also set an oidcToken the proto could not hold (JobRequest).
absl::Status ValidateHttpTarget(const v1::HttpTarget& target, bool also_oidc_token) {
  if (!absl::StartsWith(target.uri(), "http://") && !absl::StartsWith(target.uri(), "https://")) {
    return absl::InvalidArgumentError("HttpTarget.uri must start with http:// or https://.");
  }
  if (target.uri().size() > kMaxUriLength) {
    return absl::InvalidArgumentError("HttpTarget.uri is longer than 2083 characters.");
  }
  if (absl::Status s = ValidateHttpTargetUriCharacters(target.uri()); !s.ok()) return s;
  const v1::HttpMethod method = target.http_method();
  if (method == v1::HTTP_METHOD_UNSPECIFIED) {
    return absl::InvalidArgumentError("HttpTarget.http_method is unspecified.");
  }
  if (!target.body().empty() && method != v1::POST && method != v1::PUT && method != v1::PATCH) {
    return absl::InvalidArgumentError(
        "HttpTarget.body is allowed only with HTTP methods POST, PUT and PATCH.");
  }
  std::size_t header_bytes = 0;
  for (const auto& [key, value] : target.headers()) {
    if (absl::Status s = ValidateHttpTargetHeader(key, value); !s.ok()) return s;
    header_bytes += key.size() + value.size();
  }
  if (header_bytes >= kMaxHeadersBytes) {
    return absl::InvalidArgumentError("HttpTarget.headers must total less than 80 KB.");
  }
  if (target.has_oauth_token() && (target.has_oidc_token() || also_oidc_token)) {
    return absl::InvalidArgumentError(
        "HttpTarget may have an oauth_token or an oidc_token, not both.");
  }
  return absl::OkStatus();
}

std::size_t OidcTokenBytes(const v1::OidcToken& t) { return t.service_account_email().size() + t.audience().size(); }

std::size_t HttpTargetBytes(const v1::HttpTarget& t) {
  std::size_t n = t.uri().size() + t.body().size();
  for (const auto& [k, v] : t.headers()) n += k.size() + v.size();
  if (t.has_oauth_token()) n += t.oauth_token().service_account_email().size() + t.oauth_token().scope().size();
  if (t.has_oidc_token()) n += OidcTokenBytes(t.oidc_token());
  return n;
}

// The bytes of the request's user-set strings (names, schedule, target fields, headers, attributes, data and
// body): what its serialized form is made of, give or take a few bytes of framing per field.
std::size_t JobSizeBytes(const Job& job, const v1::HttpTarget* second_http_target,
                         const v1::OidcToken* second_oidc_token) {
  std::size_t n = job.name().size() + job.description().size() + job.schedule().size() + job.time_zone().size();
  if (job.has_pubsub_target()) {
    n += job.pubsub_target().topic_name().size() + job.pubsub_target().data().size();
    for (const auto& [k, v] : job.pubsub_target().attributes()) n += k.size() + v.size();
  }
  if (job.has_http_target()) n += HttpTargetBytes(job.http_target());
  if (second_http_target != nullptr) n += HttpTargetBytes(*second_http_target);
  if (second_oidc_token != nullptr) n += OidcTokenBytes(*second_oidc_token);
  return n;
}

bool ValidDuration(const google::protobuf::Duration& d) {
  if (d.seconds() < TimeUtil::kDurationMinSeconds || d.seconds() > TimeUtil::kDurationMaxSeconds) return false;
  if (d.nanos() <= -kNanosPerSecond || d.nanos() >= kNanosPerSecond) return false;
  return !((d.seconds() < 0 && d.nanos() > 0) || (d.seconds() > 0 && d.nanos() < 0));
}

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= TimeUtil::kTimestampMinSeconds && t.seconds() <= TimeUtil::kTimestampMaxSeconds &&
         t.nanos() >= 0 && t.nanos() < kNanosPerSecond;
}

// True when protobuf's JSON printer may refuse `job`: a Duration or Timestamp outside its range, or status
// details (Any values it must resolve). Such a job has no REST form.
bool MayHaveNoJsonForm(const Job& job) {
  if (job.has_user_update_time() && !ValidTimestamp(job.user_update_time())) return true;
  if (job.has_schedule_time() && !ValidTimestamp(job.schedule_time())) return true;
  if (job.has_last_attempt_time() && !ValidTimestamp(job.last_attempt_time())) return true;
  if (job.has_attempt_deadline() && !ValidDuration(job.attempt_deadline())) return true;
  if (job.has_status() && job.status().details_size() > 0) return true;
  if (job.has_retry_config()) {
    const v1::RetryConfig& r = job.retry_config();
    if (r.has_max_retry_duration() && !ValidDuration(r.max_retry_duration())) return true;
    if (r.has_min_backoff_duration() && !ValidDuration(r.min_backoff_duration())) return true;
    if (r.has_max_backoff_duration() && !ValidDuration(r.max_backoff_duration())) return true;
  }
  return false;
}

// REST's message for a value of the wrong JSON type: an unknown enum number prints as a number where the
// REST body has the enum's name.
absl::Status NotAString(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid value at '", field, "': expected a string"));
}

}  // namespace

std::string JobStateName(Job::State state) {
  return Job::State_IsValid(state) ? Job::State_Name(state) : "STATE_UNSPECIFIED";
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  google::protobuf::Timestamp out;
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

absl::Duration FromDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToDuration(absl::Duration d) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  google::protobuf::Duration out;
  out.set_seconds(nanos / kNanosPerSecond);
  out.set_nanos(static_cast<int32_t>(nanos % kNanosPerSecond));
  return out;
}

absl::Time UserUpdateTimeOf(const Job& job) {
  return job.has_user_update_time() ? FromTimestamp(job.user_update_time()) : absl::InfinitePast();
}
absl::Time ScheduleTimeOf(const Job& job) {
  return job.has_schedule_time() ? FromTimestamp(job.schedule_time()) : absl::InfinitePast();
}
absl::Time LastAttemptTimeOf(const Job& job) {
  return job.has_last_attempt_time() ? FromTimestamp(job.last_attempt_time()) : absl::InfinitePast();
}

void SetUserUpdateTime(Job& job, absl::Time t) {
  if (t == absl::InfinitePast()) return job.clear_user_update_time();
  *job.mutable_user_update_time() = ToTimestamp(t);
}
void SetScheduleTime(Job& job, absl::Time t) {
  if (t == absl::InfinitePast()) return job.clear_schedule_time();
  *job.mutable_schedule_time() = ToTimestamp(t);
}
void SetLastAttemptTime(Job& job, absl::Time t) {
  if (t == absl::InfinitePast()) return job.clear_last_attempt_time();
  *job.mutable_last_attempt_time() = ToTimestamp(t);
}

RetryPolicy RetryPolicyOf(const Job& job) {
  RetryPolicy p;
  if (!job.has_retry_config()) return p;
  const v1::RetryConfig& r = job.retry_config();
  p.retry_count = r.retry_count();
  if (r.has_max_retry_duration()) p.max_retry_duration = FromDuration(r.max_retry_duration());
  if (r.has_min_backoff_duration()) p.min_backoff = FromDuration(r.min_backoff_duration());
  if (r.has_max_backoff_duration()) p.max_backoff = FromDuration(r.max_backoff_duration());
  if (r.has_max_doublings()) p.max_doublings = r.max_doublings();
  return p;
}

absl::Duration AttemptDeadlineOf(const Job& job) {
  return job.has_attempt_deadline() ? FromDuration(job.attempt_deadline()) : kDefaultAttemptDeadline;
}

void FillJobDefaults(Job& job) {
  const RetryPolicy p = RetryPolicyOf(job);
  v1::RetryConfig* r = job.mutable_retry_config();
  if (!r->has_max_retry_duration()) *r->mutable_max_retry_duration() = ToDuration(p.max_retry_duration);
  if (!r->has_min_backoff_duration()) *r->mutable_min_backoff_duration() = ToDuration(p.min_backoff);
  if (!r->has_max_backoff_duration()) *r->mutable_max_backoff_duration() = ToDuration(p.max_backoff);
  if (!r->has_max_doublings()) r->set_max_doublings(p.max_doublings);
  if (!job.has_attempt_deadline()) *job.mutable_attempt_deadline() = ToDuration(kDefaultAttemptDeadline);
  if (job.has_http_target() && job.http_target().http_method() == v1::HTTP_METHOD_UNSPECIFIED) {
    job.mutable_http_target()->set_http_method(v1::POST);
  }
}

absl::Status CheckJobJsonForm(const Job& job) {
  // What protobuf's printer refuses has no REST form: its reason is the error. Printed only when it may fail.
  if (!MayHaveNoJsonForm(job)) return absl::OkStatus();
  std::string text;
  if (const auto s = google::protobuf::util::MessageToJsonString(job, &text); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid job: ", std::string(s.message())));
  }
  return absl::OkStatus();
}

absl::Status CheckJobProto(const Job& job) {
  if (absl::Status s = CheckJobJsonForm(job); !s.ok()) return s;
  if (job.has_app_engine_http_target()) {
    return absl::InvalidArgumentError(
        "appEngineHttpTarget is not supported by cloud-scheduler-emulator; use httpTarget or pubsubTarget.");
  }
  if (job.has_http_target() && !v1::HttpMethod_IsValid(job.http_target().http_method())) {
    return NotAString("httpTarget.httpMethod");
  }
  if (!Job::State_IsValid(job.state())) return NotAString("state");
  return absl::OkStatus();
}

absl::StatusOr<Job> JobFromRequest(Job job) {
  if (absl::Status s = CheckJobProto(job); !s.ok()) return s;
  job.DiscardUnknownFields();
  if (job.has_status()) job.mutable_status()->clear_details();
  FillJobDefaults(job);
  return job;
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

namespace {

// ValidateJob with the members a JobRequest may add (nullptr when absent).
absl::Status ValidateJobParts(const Job& job, const v1::HttpTarget* second_http_target,
                              const v1::OidcToken* second_oidc_token, absl::string_view parent) {
  absl::StatusOr<JobName> name = ParseJobName(job.name());
  if (!name.ok()) return name.status();
  if (name->Parent() != parent) {
    return absl::InvalidArgumentError(
        absl::StrCat("Job name \"", job.name(), "\" is not under \"", parent, "\"."));
  }
  if (job.description().size() > kMaxDescriptionLength) {
    return absl::InvalidArgumentError("Job description must be at most 500 characters long.");
  }
  if (const std::size_t size = JobSizeBytes(job, second_http_target, second_oidc_token); size > kMaxJobBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Job is ", size, " bytes; a job must be at most 1 MiB (", kMaxJobBytes, " bytes)."));
  }
  const int targets = (job.has_pubsub_target() ? 1 : 0) + (job.has_http_target() ? 1 : 0) +
                      (second_http_target != nullptr ? 1 : 0);
  if (targets != 1) {
    return absl::InvalidArgumentError(
        "A job must have exactly one target: pubsubTarget or httpTarget.");
  }
  if (job.schedule().empty()) return absl::InvalidArgumentError("Schedule is required.");
  absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(job.schedule(), job.time_zone());
  if (!schedule.ok()) {
    return absl::InvalidArgumentError("Schedule or time zone is invalid.");
  }
  if (absl::Status s = ValidateRetryPolicy(RetryPolicyOf(job)); !s.ok()) return s;
  if (job.has_pubsub_target()) {
    return ValidatePubsubTarget(job.pubsub_target(), *name);
  }
  const absl::Duration attempt_deadline = AttemptDeadlineOf(job);
  if (attempt_deadline < kMinAttemptDeadline || attempt_deadline > kMaxAttemptDeadline) {
    return absl::InvalidArgumentError(
        "attemptDeadline for HTTP targets must be between 15 seconds and 30 minutes.");
  }
  return ValidateHttpTarget(job.http_target(), second_oidc_token != nullptr);
}

}  // namespace

absl::Status ValidateJob(const JobRequest& request, absl::string_view parent) {
  return ValidateJobParts(request.job,
                          request.second_http_target.has_value() ? &*request.second_http_target : nullptr,
                          request.second_oidc_token.has_value() ? &*request.second_oidc_token : nullptr, parent);
}

absl::Status ValidateJob(const Job& job, absl::string_view parent) {
  return ValidateJobParts(job, nullptr, nullptr, parent);
}

}  // namespace schedsvc::scheduler
