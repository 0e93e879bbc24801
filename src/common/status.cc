#include "src/common/status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace schedsvc {

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
