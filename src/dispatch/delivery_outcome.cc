#include "src/dispatch/delivery_outcome.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/status.h"

namespace schedsvc::dispatch {
namespace {

// RFC 9110 §5.6.7 IMF-fixdate, the only form senders may generate.
constexpr char kImfFixdate[] = "%a, %d %b %Y %H:%M:%S GMT";

absl::string_view CodeClass(int status) {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  if (status >= 200) return "2xx";
  return "1xx";
}

}  // namespace

absl::string_view OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kSuccess:
      return "success";
    case OutcomeKind::kRetryable:
      return "retryable";
    case OutcomeKind::kPermanent:
      return "permanent";
  }
  return "unknown";
}

absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return absl::nullopt;
  if (absl::ascii_isdigit(static_cast<unsigned char>(value.front()))) {
    // delta-seconds is 1*DIGIT with no upper limit (RFC 9110 §10.2.3): a number too large for an
    // integer is valid and asks for a wait beyond any budget, so it is capped, not ignored.
    const bool all_digits = std::all_of(value.begin(), value.end(),
                                        [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
    if (!all_digits) return absl::nullopt;
    std::int64_t seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds)) return kMaxRetryAfter;  // overflow
    return std::min(absl::Seconds(seconds), kMaxRetryAfter);
  }
  absl::Time when;
  std::string error;
  if (!absl::ParseTime(kImfFixdate, std::string(value), absl::UTCTimeZone(), &when, &error)) {
    return absl::nullopt;
  }
  return when > now ? std::min(when - now, kMaxRetryAfter) : absl::ZeroDuration();
}

DeliveryOutcome ClassifyAttempt(const absl::StatusOr<HttpResponse>& result, absl::Time now) {
  DeliveryOutcome outcome;
  if (!result.ok()) {
    outcome.kind = OutcomeKind::kRetryable;
    outcome.code_class = result.status().code() == absl::StatusCode::kDeadlineExceeded
                             ? "timeout"
                             : "transport_error";
    outcome.status = result.status();
    return outcome;
  }
  const int status = result->status;
  outcome.http_status = status;
  outcome.code_class = CodeClass(status);
  if (status >= 200 && status < 300) {
    outcome.kind = OutcomeKind::kSuccess;
    return outcome;
  }
  if (status == 401 || status == 403) {
    outcome.kind = OutcomeKind::kRetryable;
    outcome.credential_rejected = true;
    outcome.status = FromHttpStatus(status, "backend");
    return outcome;
  }
  if (status < 200) {
    // A 1xx is never a final answer (libcurl reads on past informational answers); one that ends the
    // exchange (a 101 when no upgrade was asked for) is the backend breaking the protocol: retried like
    // a 5xx, never the message's fault.
    outcome.kind = OutcomeKind::kRetryable;
    outcome.status = absl::UnavailableError(
        absl::StrCat("HTTP ", status, " from backend as its final answer (a protocol error)"));
    return outcome;
  }
  if (status == 408 || status == 429 || status >= 500) {
    outcome.kind = OutcomeKind::kRetryable;
    outcome.status = FromHttpStatus(status, "backend");
    if (absl::optional<std::string> header = FindHeader(result->headers, "Retry-After")) {
      outcome.retry_after = ParseRetryAfter(*header, now);
    }
    return outcome;
  }
  outcome.kind = OutcomeKind::kPermanent;
  outcome.status = PermanentError(
      status >= 400 ? PermanentReason::kHttp4xx : PermanentReason::kHttp3xx,
      absl::StrCat("HTTP ", status, " from backend"));
  return outcome;
}

}  // namespace schedsvc::dispatch
