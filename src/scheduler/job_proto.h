// Job <-> google.cloud.scheduler.v1.Job, field by field. The mapping is the proto3 JSON mapping's: a proto
// means exactly what its JSON form means as a REST body (rest/job_json.h) — same defaults, same errors —
// and a job's proto carries exactly the fields its REST JSON does. So a gRPC request means what its REST
// body means, and the store (store/sqlite_job_store.h) keeps a job's spec as the proto's JSON.
// Defaults: an unset retry_config field, attempt_deadline or http_method (HTTP_METHOD_UNSPECIFIED) takes
// the REST default; retry_config.max_doublings has presence (proto3 `optional`, wire-compatible with
// Google's plain int32), so only an absent value reads as the default 5. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_JOB_PROTO_H_
#define SCHEDSVC_SCHEDULER_JOB_PROTO_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/cloud/scheduler/v1/job.pb.h"
#include "nlohmann/json.hpp"
#include "src/scheduler/job.h"

namespace schedsvc::scheduler {

// Returns the proto form of `job`: retry_config and attempt_deadline always set, unset output-only fields
// absent. kInternal for a time a Timestamp cannot carry (outside years 1-9999; a bug, not a user error).
absl::StatusOr<google::cloud::scheduler::v1::Job> JobToProto(const Job& job);

// Parses `proto` as JobFromJson parses a REST body. kInvalidArgument with the REST message otherwise: for
// app_engine_http_target, an unknown enum number, or a Duration/Timestamp outside protobuf's range
// ("Invalid job: " and protobuf's reason).
absl::StatusOr<Job> JobFromProto(const google::cloud::scheduler::v1::Job& proto);

// OK when `proto` has a proto3 JSON form (every Duration and Timestamp in protobuf's range, no status
// details to resolve); otherwise kInvalidArgument "Invalid job: " and protobuf's reason, as JobProtoToJson.
// Prints the proto only when it may have no JSON form.
absl::Status CheckJobJsonForm(const google::cloud::scheduler::v1::Job& proto);

// Returns the proto3 JSON form of `proto`: only fields with a non-default value (or a set message) are
// present.
absl::StatusOr<nlohmann::json> JobProtoToJson(const google::cloud::scheduler::v1::Job& proto);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_JOB_PROTO_H_
