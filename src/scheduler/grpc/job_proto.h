// Job <-> google.cloud.scheduler.v1.Job (the gRPC message). The conversion goes through the proto3 JSON
// mapping, which is by definition the REST body of the same message: protobuf's own JSON printer/parser on
// the proto side, rest/job_json.h on ours. So a gRPC request means exactly what its JSON form means over
// REST (same defaults, same checks, same error messages), and a gRPC response carries exactly the fields
// the REST response does. One proto3 consequence: fields at their default value are absent, e.g.
// retry_config.max_doublings = 0 reads as "unset" (default 5). Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_GRPC_JOB_PROTO_H_
#define SCHEDSVC_SCHEDULER_GRPC_JOB_PROTO_H_

#include "absl/status/statusor.h"
#include "google/cloud/scheduler/v1/job.pb.h"
#include "nlohmann/json.hpp"
#include "src/scheduler/job.h"

namespace schedsvc::scheduler {

// Returns the proto form of `job`. kInternal if protobuf rejects our JSON (a bug, not a user error).
absl::StatusOr<google::cloud::scheduler::v1::Job> JobToProto(const Job& job);

// Parses `proto` as JobFromJson parses a REST body. kInvalidArgument with the REST message otherwise
// (e.g. for app_engine_http_target or an unknown enum number).
absl::StatusOr<Job> JobFromProto(const google::cloud::scheduler::v1::Job& proto);

// Returns the proto3 JSON form of `proto`: only fields with a non-default value (or a set message) are
// present. This is the patch body UpdateJob applies with an update mask (rest/update_mask.h).
absl::StatusOr<nlohmann::json> JobProtoToJson(const google::cloud::scheduler::v1::Job& proto);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_GRPC_JOB_PROTO_H_
