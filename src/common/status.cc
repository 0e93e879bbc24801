#include "src/common/status.h"

#include <curl/curl.h>
#include <grpcpp/support/status.h>

#include "absl/strings/str_cat.h"

namespace schedsvc {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::Status FromHttpStatus(int http_status, absl::string_view context) {
  if (http_status >= 200 && http_status < 300) return absl::OkStatus();
  std::string message = absl::StrCat("HTTP ", http_status, " from ", context);
  switch (http_status) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 408:
      return absl::DeadlineExceededError(message);
    case 409:
      return absl::AlreadyExistsError(message);
    case 412:
      return absl::FailedPreconditionError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    case 501:
      return absl::UnimplementedError(message);
    default:
      break;
  }
  if (http_status >= 500) return absl::UnavailableError(message);
  if (http_status >= 400) return absl::InvalidArgumentError(message);
  // 1xx/3xx that a client did not follow: not a success, and retrying won't change it.
  return absl::FailedPreconditionError(message);
}

absl::Status FromCurlCode(int curl_code, absl::string_view curl_message) {
  auto code = static_cast<CURLcode>(curl_code);
  if (code == CURLE_OK) return absl::OkStatus();
  std::string message = absl::StrCat("curl error ", curl_code, ": ", curl_message);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return absl::UnavailableError(message);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      // A certificate that fails verification will not pass on retry.
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

bool IsTransient(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

}  // namespace schedsvc
