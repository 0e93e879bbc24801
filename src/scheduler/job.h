// Job: the Cloud Scheduler v1 Job resource as the emulator holds it (google/cloud/scheduler/v1/job.proto),
// with its targets and retry configuration. A plain value type: the REST layer converts it to and from
// Google's JSON (rest/job_json.h), job_proto.h to and from the proto (the gRPC API, the store's spec), the
// store persists it (store/job_store.h), and the scheduler loop fires it (loop/scheduler_loop.h). Not
// synchronised; copy it between threads.
#ifndef SCHEDSVC_SCHEDULER_JOB_H_
#define SCHEDSVC_SCHEDULER_JOB_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/scheduler/schedule/retry_backoff.h"

namespace schedsvc::scheduler {

// Job.State; the numeric values are the proto's.
enum class JobState { kUnspecified = 0, kEnabled = 1, kPaused = 2, kDisabled = 3, kUpdateFailed = 4 };

// HttpMethod; the numeric values are the proto's.
enum class HttpMethod {
  kUnspecified = 0, kPost = 1, kGet = 2, kHead = 3, kPut = 4, kDelete = 5, kPatch = 6, kOptions = 7
};

// Returns the proto enum name ("ENABLED", "POST", ...).
absl::string_view JobStateName(JobState state);
absl::string_view HttpMethodName(HttpMethod method);
// Parses a proto enum name. kInvalidArgument naming the value otherwise.
absl::StatusOr<JobState> ParseJobState(absl::string_view name);
absl::StatusOr<HttpMethod> ParseHttpMethod(absl::string_view name);

struct PubsubTarget {
  // "projects/P/topics/T", in the job's project.
  std::string topic_name;
  // The message payload (raw bytes; base64 only in JSON).
  std::string data;
  std::map<std::string, std::string> attributes;
};

struct OAuthToken {
  std::string service_account_email;
  std::string scope;
};

struct OidcToken {
  std::string service_account_email;
  std::string audience;
};

struct HttpTarget {
  std::string uri;
  HttpMethod http_method = HttpMethod::kPost;
  std::map<std::string, std::string> headers;
  // Raw bytes; base64 only in JSON. Allowed for POST, PUT and PATCH only.
  std::string body;
  std::optional<OAuthToken> oauth_token;
  std::optional<OidcToken> oidc_token;
};

// google.rpc.Status of the last attempt (code 0 = OK).
struct JobStatus {
  int code = 0;
  std::string message;
};

inline constexpr absl::Duration kDefaultAttemptDeadline = absl::Minutes(3);
inline constexpr absl::Duration kMinAttemptDeadline = absl::Seconds(15);
inline constexpr absl::Duration kMaxAttemptDeadline = absl::Minutes(30);

struct Job {
  // "projects/P/locations/L/jobs/ID".
  std::string name;
  std::string description;
  // Exactly one target is set in a valid job.
  std::optional<PubsubTarget> pubsub_target;
  std::optional<HttpTarget> http_target;
  std::string schedule;
  // A tz database name; empty means UTC.
  std::string time_zone;
  RetryPolicy retry_config;
  absl::Duration attempt_deadline = kDefaultAttemptDeadline;

  // Output only. InfinitePast() means "not set".
  absl::Time user_update_time = absl::InfinitePast();
  JobState state = JobState::kUnspecified;
  std::optional<JobStatus> status;
  absl::Time schedule_time = absl::InfinitePast();
  absl::Time last_attempt_time = absl::InfinitePast();
};

bool operator==(const PubsubTarget& a, const PubsubTarget& b);
bool operator==(const OAuthToken& a, const OAuthToken& b);
bool operator==(const OidcToken& a, const OidcToken& b);
bool operator==(const HttpTarget& a, const HttpTarget& b);
bool operator==(const JobStatus& a, const JobStatus& b);
bool operator==(const Job& a, const Job& b);

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

// Returns OK if `job` (user-settable fields) is valid for `parent` ("projects/P/locations/L"), otherwise
// kInvalidArgument with a message naming the offending field. Checks: name under parent, description
// length, exactly one target, schedule and time zone ("Schedule or time zone is invalid."), retry config,
// attempt deadline range, Pub/Sub topic in the job's project with data or attributes, HTTP uri scheme and
// length and characters, header names and values (http_target_rules.h), body only with POST/PUT/PATCH,
// header size, at most one of OAuth/OIDC, and the job's size (its
// user-set strings, data and body together at most 1 MiB, Cloud Scheduler's limit).
absl::Status ValidateJob(const Job& job, absl::string_view parent);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_JOB_H_
