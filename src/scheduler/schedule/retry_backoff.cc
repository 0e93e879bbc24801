#include "src/scheduler/schedule/retry_backoff.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {
namespace {

constexpr int kMaxRetryCount = 5;

}  // namespace

absl::Duration BackoffForRetry(const RetryPolicy& p, int retry_index) {
  const int index = std::max(retry_index, 0);
  const int doublings = std::min(index, std::max(p.max_doublings, 0));
  // Double step by step so a large max_doublings stops as soon as the cap is reached (no overflow, no
  // long loop).
  absl::Duration delay = p.min_backoff;
  for (int i = 0; i < doublings && delay < p.max_backoff; ++i) delay *= 2;
  if (delay >= p.max_backoff) return std::max(p.max_backoff, p.min_backoff);
  const int linear_steps = index - doublings;
  if (linear_steps > 0) {
    // absl::Duration arithmetic saturates at InfiniteDuration instead of overflowing.
    delay += delay * linear_steps;
  }
  return std::max(std::min(delay, p.max_backoff), p.min_backoff);
}

bool ShouldRetry(const RetryPolicy& p, int retries_done, absl::Duration since_first_attempt) {
  const bool count_set = p.retry_count > 0;
  const bool duration_set = p.max_retry_duration > absl::ZeroDuration();
  const bool count_allows = retries_done < p.retry_count;
  const bool duration_allows = since_first_attempt < p.max_retry_duration;
  if (count_set && duration_set) return count_allows || duration_allows;
  if (count_set) return count_allows;
  if (duration_set) return duration_allows;
  return false;
}

absl::Status ValidateRetryPolicy(const RetryPolicy& p) {
  if (p.retry_count < 0 || p.retry_count > kMaxRetryCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("retryConfig.retryCount must be between 0 and ", kMaxRetryCount, ", got ", p.retry_count));
  }
  if (p.max_retry_duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("retryConfig.maxRetryDuration must not be negative, got ",
                                                   absl::FormatDuration(p.max_retry_duration)));
  }
  if (p.min_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("retryConfig.minBackoffDuration must not be negative, got ",
                                                   absl::FormatDuration(p.min_backoff)));
  }
  if (p.max_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("retryConfig.maxBackoffDuration must not be negative, got ",
                                                   absl::FormatDuration(p.max_backoff)));
  }
  if (p.min_backoff > p.max_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retryConfig.minBackoffDuration (", absl::FormatDuration(p.min_backoff),
        ") must not exceed retryConfig.maxBackoffDuration (", absl::FormatDuration(p.max_backoff), ")"));
  }
  if (p.max_doublings < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("retryConfig.maxDoublings must not be negative, got ", p.max_doublings));
  }
  return absl::OkStatus();
}

}  // namespace schedsvc::scheduler
