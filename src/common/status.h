// Status conventions for schedule-service: absl::Status / absl::StatusOr everywhere, and the mapping of
// HTTP statuses onto absl::StatusCode, so retry, circuit-breaker and dead-letter policy switch on codes
// and never on message strings:
//
//   HTTP status    2xx OK; 408 / timeouts -> kDeadlineExceeded; 429 -> kResourceExhausted;
//                  500, 502, 503, 504 (and other 5xx) -> kUnavailable; 401 -> kUnauthenticated;
//                  403 -> kPermissionDenied; 404 -> kNotFound; 409 -> kAlreadyExists... see FromHttpStatus.
//
// Each transport's own mapping lives next to it: gRPC in src/pubsub/internal/grpc_status.h, libcurl in
// src/dispatch/curl_status.h. This file depends on neither.
#ifndef SCHEDSVC_COMMON_STATUS_H_
#define SCHEDSVC_COMMON_STATUS_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace schedsvc {

// Returns OK for a 2xx `http_status`, otherwise an error whose code follows the table above and whose
// message names the status and `context` (never a header or body: those may carry secrets).
absl::Status FromHttpStatus(int http_status, absl::string_view context);

// Returns true when a failed call may succeed if retried: kUnavailable, kDeadlineExceeded,
// kResourceExhausted, kAborted, kInternal (a transient server failure in gRPC's and Pub/Sub's use).
bool IsTransient(absl::StatusCode code);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_STATUS_H_
