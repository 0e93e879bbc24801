// PermanentReason: why a message can never be delivered, however often it is retried. The names are the
// `reason` label of schedsvc_messages_dead_lettered_total (docs/metrics.md) and the value of the
// `schedsvc.error` dead-letter attribute. A permanent error travels as an absl::Status of code
// kInvalidArgument carrying the reason as a payload, so policy switches on the reason and never on
// message text.
#ifndef SCHEDSVC_DISPATCH_PERMANENT_REASON_H_
#define SCHEDSVC_DISPATCH_PERMANENT_REASON_H_

#include <array>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace schedsvc::dispatch {

enum class PermanentReason {
  kUnknownBackend,      // "unknown_backend": routing attribute names no configured backend
  kInvalidPath,         // "invalid_path": `path` attribute fails the rules of DESIGN §2
  kInvalidMethod,       // "invalid_method": `method` attribute not POST/PUT/PATCH/GET/DELETE
  kInvalidContentType,  // "invalid_content_type": `content_type` attribute not a header-safe value
  kBodyTooLarge,        // "body_too_large": data larger than the backend's max_body_bytes
  kHttp3xx,             // "http_3xx": the backend redirected (redirects are not followed)
  kHttp4xx,             // "http_4xx": the backend rejected the request (4xx other than 408/429)
};

// Every PermanentReason, in declaration order.
inline constexpr std::array<PermanentReason, 7> kAllPermanentReasons = {
    PermanentReason::kUnknownBackend, PermanentReason::kInvalidPath,
    PermanentReason::kInvalidMethod,  PermanentReason::kInvalidContentType,
    PermanentReason::kBodyTooLarge,   PermanentReason::kHttp3xx,
    PermanentReason::kHttp4xx,
};

// Returns the label/attribute name, e.g. "invalid_path".
absl::string_view PermanentReasonName(PermanentReason reason);

// Returns a kInvalidArgument Status with `message` and `reason` attached.
absl::Status PermanentError(PermanentReason reason, absl::string_view message);

// Returns the reason attached to `status` by PermanentError, or nullopt.
absl::optional<PermanentReason> GetPermanentReason(const absl::Status& status);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_PERMANENT_REASON_H_
