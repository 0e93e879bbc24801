// Job: the emulator's job model is the Cloud Scheduler v1 Job proto itself (google.cloud.scheduler.v1.Job,
// proto/google/cloud/scheduler/v1/job.proto, wire-compatible with Google's). The REST API prints and parses it
// with protobuf's JSON utilities (rest/job_json.h), the gRPC API takes and returns it as is, the store keeps it
// (store/job_store.h) and the scheduler loop fires it (loop/scheduler_loop.h). This header holds the model's
// rules: the REST defaults (FillJobDefaults), what a request's proto must not carry (CheckJobProto), job names,
// validation (ValidateJob), and the job's times and retry policy as absl types for the loop and the store.
#ifndef SCHEDSVC_SCHEDULER_JOB_H_
#define SCHEDSVC_SCHEDULER_JOB_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/cloud/scheduler/v1/job.pb.h"
#include "src/scheduler/schedule/retry_backoff.h"

namespace schedsvc::scheduler {

using Job = ::google::cloud::scheduler::v1::Job;

inline constexpr absl::Duration kDefaultAttemptDeadline = absl::Minutes(3);
inline constexpr absl::Duration kMinAttemptDeadline = absl::Seconds(15);
inline constexpr absl::Duration kMaxAttemptDeadline = absl::Minutes(30);

// The proto enum name ("ENABLED", ...); "STATE_UNSPECIFIED" for an unknown number.
std::string JobStateName(Job::State state);

// Protobuf Timestamp <-> absl::Time.
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Duration FromDuration(const google::protobuf::Duration& d);
// Whole nanoseconds, truncated toward zero as proto3 JSON writes a Duration.
google::protobuf::Duration ToDuration(absl::Duration d);

// The job's output-only times; InfinitePast() when unset (as the store and the loop keep "no time").
absl::Time UserUpdateTimeOf(const Job& job);
absl::Time ScheduleTimeOf(const Job& job);
absl::Time LastAttemptTimeOf(const Job& job);
// Set the job's output-only times; InfinitePast() clears the field.
void SetUserUpdateTime(Job& job, absl::Time t);
void SetScheduleTime(Job& job, absl::Time t);
void SetLastAttemptTime(Job& job, absl::Time t);

// The job's retryConfig as the backoff functions take it: an unset field has the REST default
// (RetryPolicy's).
RetryPolicy RetryPolicyOf(const Job& job);
// The job's attemptDeadline; kDefaultAttemptDeadline when unset.
absl::Duration AttemptDeadlineOf(const Job& job);

// Fills the REST defaults into `job`, so that a stored job reads the same through every API: retry_config
// and attempt_deadline set with every unset field at its default (maxDoublings by presence: proto3
// `optional`, wire-compatible with Google's plain int32, so only an absent value is the default 5), and an
// HTTP target's HTTP_METHOD_UNSPECIFIED as POST (as the real API treats it).
void FillJobDefaults(Job& job);

// OK when `job` has a proto3 JSON form (every Duration and Timestamp in protobuf's range, status details
// resolvable), otherwise kInvalidArgument "Invalid job: " and protobuf's reason. A gRPC update's patch must
// have one, as its REST body would.
absl::Status CheckJobJsonForm(const Job& job);

// OK when `job`, as a request carries it, means what its REST JSON means: it has a proto3 JSON form
// (CheckJobJsonForm), no appEngineHttpTarget (not supported) and no unknown enum number ("Invalid value at
// '<field>': expected a string", as REST refuses a number there). kInvalidArgument otherwise.
absl::Status CheckJobProto(const Job& job);

// The job a request's proto (gRPC) means, as its REST body would: CheckJobProto's error, or `job` without
// unknown fields and status details (output only; REST ignores them) and with the defaults filled.
absl::StatusOr<Job> JobFromRequest(Job job);

// What a request sets that its Job cannot hold. A REST body or a masked update may set both members of one of
// the proto's oneofs: both targets, or httpTarget's oauthToken and oidcToken. The Job keeps pubsubTarget and
// oauthToken; the other member is kept here so that ValidateJob refuses the request with Cloud Scheduler's
// message at the same point among its checks (and counts its bytes in the job's size).
struct JobRequest {
  JobRequest() = default;
  // A job with nothing beside it (what a gRPC request, or code, sets): implicit on purpose.
  JobRequest(Job job) : job(std::move(job)) {}  // NOLINT(google-explicit-constructor)

  Job job;
  // The request's httpTarget when `job` has pubsubTarget.
  std::optional<::google::cloud::scheduler::v1::HttpTarget> second_http_target;
  // The request's httpTarget.oidcToken when that httpTarget (in `job` or second_http_target) has oauthToken.
  std::optional<::google::cloud::scheduler::v1::OidcToken> second_oidc_token;
};

// The parts of "projects/P/locations/L/jobs/ID".
struct JobName {
  std::string project;
  std::string location;
  std::string job_id;
  // Returns "projects/P/locations/L".
  std::string Parent() const;
  // Returns the full name.
  std::string Full() const;
};

// Parses a full job name. kInvalidArgument with Google's wording when malformed or the id breaks the
// rules ([A-Za-z0-9_-], at most 500 characters).
absl::StatusOr<JobName> ParseJobName(absl::string_view name);

// Returns OK if the request's job (user-settable fields) is valid for `parent` ("projects/P/locations/L"),
// otherwise kInvalidArgument with a message naming the offending field. Checks, in this order: name under
// parent, description length, the job's size (its user-set strings, data and body together at most 1 MiB,
// Cloud Scheduler's limit), exactly one target, schedule and time zone ("Schedule or time zone is invalid."),
// retry config, then for a Pub/Sub target its topic in the job's project with data or attributes; for an HTTP
// target the attempt deadline range, uri scheme and length and characters, method set, body only with
// POST/PUT/PATCH, header names and values (http_target_rules.h), header size, at most one of OAuth/OIDC.
absl::Status ValidateJob(const JobRequest& request, absl::string_view parent);
absl::Status ValidateJob(const Job& job, absl::string_view parent);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_JOB_H_
