#include "src/dispatch/permanent_reason.h"

#include <string>

#include "absl/strings/cord.h"

namespace schedsvc::dispatch {
namespace {

// Status payload key (a type URL by absl convention).
constexpr absl::string_view kPayloadKey = "type.googleapis.com/schedsvc.dispatch.PermanentReason";

}  // namespace

absl::string_view PermanentReasonName(PermanentReason reason) {
  switch (reason) {
    case PermanentReason::kUnknownBackend:
      return "unknown_backend";
    case PermanentReason::kInvalidPath:
      return "invalid_path";
    case PermanentReason::kInvalidMethod:
      return "invalid_method";
    case PermanentReason::kInvalidContentType:
      return "invalid_content_type";
    case PermanentReason::kBodyTooLarge:
      return "body_too_large";
    case PermanentReason::kHttp3xx:
      return "http_3xx";
    case PermanentReason::kHttp4xx:
      return "http_4xx";
  }
  return "unknown";
}

absl::Status PermanentError(PermanentReason reason, absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kPayloadKey, absl::Cord(PermanentReasonName(reason)));
  return status;
}

absl::optional<PermanentReason> GetPermanentReason(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadKey);
  if (!payload.has_value()) return absl::nullopt;
  const std::string name(*payload);
  for (PermanentReason reason : kAllPermanentReasons) {
    if (PermanentReasonName(reason) == name) return reason;
  }
  return absl::nullopt;
}

}  // namespace schedsvc::dispatch
