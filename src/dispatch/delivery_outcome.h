// DeliveryOutcome: what one HTTP attempt's result means for the message, per DESIGN §2:
//   2xx                                   -> kSuccess
//   408, 429, 5xx, any transport failure  -> kRetryable (connect, TLS, timeout, client shutdown: none of
//                                            them is the message's fault)
//   401, 403                              -> kRetryable with credential_rejected: the backend refused our
//                                            credentials (wrong, or half-rotated), a backend/credential
//                                            failure held and retried like an outage, never the message's
//                                            fault
//   1xx as the final answer               -> kRetryable: a protocol error of the backend (code class
//                                            "1xx"), like a 5xx never the message's fault
//   other 4xx, 3xx (redirects are not followed) -> kPermanent (reason http_4xx / http_3xx)
// plus the `code_class` label of schedsvc_backend_requests_total and the server's Retry-After, if any.
// Pure functions: no clock reads (the caller passes `now`), no I/O. Thread-compatible.
#ifndef SCHEDSVC_DISPATCH_DELIVERY_OUTCOME_H_
#define SCHEDSVC_DISPATCH_DELIVERY_OUTCOME_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "src/dispatch/http_client.h"
#include "src/dispatch/permanent_reason.h"

namespace schedsvc::dispatch {

enum class OutcomeKind { kSuccess, kRetryable, kPermanent };

// Returns "success", "retryable" or "permanent" (for logs).
absl::string_view OutcomeKindName(OutcomeKind kind);

struct DeliveryOutcome {
  OutcomeKind kind = OutcomeKind::kRetryable;
  // "1xx", "2xx", "3xx", "4xx", "5xx", "transport_error" or "timeout".
  absl::string_view code_class;
  // The HTTP status, or 0 when the attempt failed below HTTP.
  int http_status = 0;
  // OK for kSuccess; otherwise FromHttpStatus()/the transport Status; for kPermanent it carries a
  // PermanentReason (permanent_reason.h).
  absl::Status status;
  // True for 401 and 403: the backend rejected the service's credentials (kRetryable).
  bool credential_rejected = false;
  // Set when a retryable response carried a usable Retry-After (clamped to 0..kMaxRetryAfter).
  absl::optional<absl::Duration> retry_after;
};

// Returns the classification of one attempt's result. `now` resolves an HTTP-date Retry-After.
DeliveryOutcome ClassifyAttempt(const absl::StatusOr<HttpResponse>& result, absl::Time now);

// The longest delay a Retry-After yields. Longer ones (a far date, delta-seconds too large for an
// integer) are capped to it rather than ignored: it exceeds every message's budget
// (lease.max_extension is at most 24h), so such an answer always hands the message back to Pub/Sub.
inline constexpr absl::Duration kMaxRetryAfter = absl::Hours(24);

// Returns the delay a Retry-After header `value` asks for: delta-seconds ("120") or an IMF-fixdate
// ("Wed, 21 Oct 2015 07:28:00 GMT") relative to `now`; a date in the past gives zero; at most
// kMaxRetryAfter. nullopt if malformed.
absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_DELIVERY_OUTCOME_H_
