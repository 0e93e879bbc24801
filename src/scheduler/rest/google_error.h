// Google's REST error body, {"error":{"code":<http>,"message":..,"status":"NOT_FOUND"}}, and the HTTP
// status for each absl::StatusCode (the mapping google.rpc.Code documents). Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_GOOGLE_ERROR_H_
#define SCHEDSVC_SCHEDULER_REST_GOOGLE_ERROR_H_

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace schedsvc::scheduler {

// Returns the HTTP status for `code` (kInvalidArgument 400, kNotFound 404, kAlreadyExists 409, ...).
int HttpStatusForCode(absl::StatusCode code);

// Returns the error body for a non-OK `status`.
nlohmann::json GoogleErrorJson(const absl::Status& status);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_GOOGLE_ERROR_H_
