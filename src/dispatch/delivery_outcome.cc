#include "src/dispatch/delivery_outcome.h"

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
    std::int64_t seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds) || seconds < 0) return absl::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  std::string error;
  if (!absl::ParseTime(kImfFixdate, std::string(value), absl::UTCTimeZone(), &when, &error)) {
    return absl::nullopt;
  }
  return when > now ? when - now : absl::ZeroDuration();
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
