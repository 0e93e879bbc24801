// Status conventions for schedule-service: absl::Status / absl::StatusOr everywhere, and the one mapping
// from each transport's errors onto absl::StatusCode, so retry, circuit-breaker and dead-letter policy
// switch on codes and never on message strings.
//
//   gRPC           one-to-one (the numeric codes are identical)
//   HTTP status    2xx OK; 408 / timeouts -> kDeadlineExceeded; 429 -> kResourceExhausted;
//                  500, 502, 503, 504 (and other 5xx) -> kUnavailable; 401 -> kUnauthenticated;
//                  403 -> kPermissionDenied; 404 -> kNotFound; 409 -> kAborted... see FromHttpStatus.
//   curl           timeouts -> kDeadlineExceeded; connect/DNS/send/recv/TLS -> kUnavailable.
#ifndef SCHEDSVC_COMMON_STATUS_H_
#define SCHEDSVC_COMMON_STATUS_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace grpc {
class Status;
}  // namespace grpc

namespace schedsvc {

// Returns the absl::Status equivalent of a gRPC status (same code and message).
absl::Status FromGrpc(const grpc::Status& status);

// Returns OK for a 2xx `http_status`, otherwise an error whose code follows the table above and whose
// message names the status and `context` (never a header or body: those may carry secrets).
absl::Status FromHttpStatus(int http_status, absl::string_view context);

// Returns OK for CURLE_OK (0), otherwise kDeadlineExceeded for a timeout, kUnavailable for connection,
// DNS, send/receive and TLS errors, and kInternal for everything else. `curl_code` is a CURLcode.
absl::Status FromCurlCode(int curl_code, absl::string_view curl_message);

// Returns true when a failed call may succeed if retried: kUnavailable, kDeadlineExceeded,
// kResourceExhausted, kAborted, kInternal (a transient server failure in gRPC's and Pub/Sub's use).
bool IsTransient(absl::StatusCode code);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_STATUS_H_
