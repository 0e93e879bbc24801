#include "src/dispatch/curl_status.h"

#include <curl/curl.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace schedsvc::dispatch {

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

}  // namespace schedsvc::dispatch
