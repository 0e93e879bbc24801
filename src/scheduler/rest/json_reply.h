// The answers of the emulator's REST handlers (jobs_handler, emulator_extensions_handler): a JSON body, or
// Google's error body with its HTTP status, and the job name a route's matches spell. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_JSON_REPLY_H_
#define SCHEDSVC_SCHEDULER_REST_JSON_REPLY_H_

#include <httplib.h>

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace schedsvc::scheduler {

// Answers `status` with `body` as JSON (bytes that are not UTF-8 written as U+FFFD).
void Reply(httplib::Response& res, const nlohmann::json& body, int status = 200);

// Answers a non-OK `status` with GoogleErrorJson and HttpStatusForCode (google_error.h).
void ReplyError(httplib::Response& res, const absl::Status& status);

// "projects/{1}/locations/{2}/jobs/{3}" from the route's first three matches.
std::string JobPath(const httplib::Request& req);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_JSON_REPLY_H_
