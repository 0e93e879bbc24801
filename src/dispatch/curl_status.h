// FromCurlCode: the mapping from a libcurl transfer result onto absl::Status, so retry, circuit-breaker
// and dead-letter policy switch on codes and never on message strings: timeouts -> kDeadlineExceeded;
// connect / DNS / send / receive / TLS handshake errors -> kUnavailable; a certificate that fails
// verification -> kFailedPrecondition (it will not pass on retry); anything else -> kInternal.
// HTTP statuses are mapped by FromHttpStatus (src/common/status.h). Used by every libcurl caller
// (CurlHttpClient, and the scheduler's HTTP targets); a library of its own so those link only libcurl.
#ifndef SCHEDSVC_DISPATCH_CURL_STATUS_H_
#define SCHEDSVC_DISPATCH_CURL_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace schedsvc::dispatch {

// Returns OK for CURLE_OK (0), otherwise an error as above whose message carries the code and
// `curl_message`. `curl_code` is a CURLcode.
absl::Status FromCurlCode(int curl_code, absl::string_view curl_message);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_CURL_STATUS_H_
