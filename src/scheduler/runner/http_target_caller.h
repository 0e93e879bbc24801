// HTTP target calls with libcurl: one blocking request per attempt, carrying the job's method, headers
// and body plus the headers Cloud Scheduler adds (User-Agent: Google-Cloud-Scheduler, X-CloudScheduler:
// true, X-CloudScheduler-JobName, X-CloudScheduler-ScheduleTime). The job's oauthToken/oidcToken are not
// turned into Google-signed tokens (the emulator has no credentials); instead the request carries
// `X-CloudScheduler-Emulator-Auth: oidc; serviceAccountEmail=…; audience=…` (or `oauth; …; scope=…`) so a
// backend can see what would have been sent, and the job's own Authorization header is dropped as Cloud
// Scheduler does when a token is configured. Stateless; thread-safe (one curl handle per call).
#ifndef SCHEDSVC_SCHEDULER_RUNNER_HTTP_TARGET_CALLER_H_
#define SCHEDSVC_SCHEDULER_RUNNER_HTTP_TARGET_CALLER_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/cloud/scheduler/v1/target.pb.h"

namespace schedsvc::scheduler {

// Returns the headers of an attempt: the target's, then Cloud Scheduler's (which win on a clash).
std::map<std::string, std::string> HttpTargetHeaders(const google::cloud::scheduler::v1::HttpTarget& target, absl::string_view job_id,
                                                     absl::Time schedule_time);

// Performs one attempt. OK for a 2xx answer; otherwise the code FromHttpStatus / dispatch::FromCurlCode give
// (kDeadlineExceeded when `deadline` passes). The message never contains headers or the body.
// HTTP_METHOD_UNSPECIFIED is sent as GET.
absl::Status CallHttpTarget(const google::cloud::scheduler::v1::HttpTarget& target, absl::string_view job_id,
                            absl::Time schedule_time, absl::Duration deadline);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_RUNNER_HTTP_TARGET_CALLER_H_
