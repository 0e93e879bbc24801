// Job <-> Google's JSON (the proto3 JSON mapping of google.cloud.scheduler.v1.Job: camelCase names,
// durations as "600s", timestamps as RFC 3339, bytes as standard base64, enums by name), through protobuf's
// JSON parser and printer. What the REST API adds to protobuf's mapping is here: timestamps written with the
// fewest fractional digits (json_time.h), an empty string in an enum or timestamp field meaning "unset", null
// map values dropped, status members other than code and message ignored, appEngineHttpTarget refused, a
// body with both targets or both authorization tokens parsed (the proto's oneofs cannot hold both: the
// second member goes into the JobRequest, and ValidateJob refuses such a job), the REST defaults filled
// (FillJobDefaults), and protobuf's errors reworded as Google's REST errors naming the JSON path. Used by the
// REST handler. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_JOB_JSON_H_
#define SCHEDSVC_SCHEDULER_REST_JOB_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/scheduler/job.h"
#include "src/scheduler/json_time.h"

namespace schedsvc::scheduler {

// Returns the JSON form of `job`: only fields with a non-default value (or a set message) are present.
// kInternal when protobuf's printer refuses it (a time outside the years 1-9999).
absl::StatusOr<nlohmann::json> JobToJson(const Job& job);

// Parses a Job from JSON. Every field may be absent (defaults apply). kInvalidArgument naming the field
// for an unknown field ("Invalid JSON payload received. Unknown name ..."), and "Invalid value at '<path>': "
// with protobuf's reason for a wrong JSON type, bad base64, a bad duration/timestamp or an unknown enum name.
absl::StatusOr<JobRequest> JobFromJson(const nlohmann::json& json);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_JOB_JSON_H_
