#include "src/dispatch/retry_schedule.h"

#include <algorithm>
#include <cstdint>

#include "absl/random/distributions.h"

namespace schedsvc::dispatch {

absl::string_view RetryActionName(RetryDecision::Action action) {
  switch (action) {
    case RetryDecision::Action::kRetry:
      return "retry";
    case RetryDecision::Action::kAttemptsExhausted:
      return "attempts_exhausted";
    case RetryDecision::Action::kBudgetSpent:
      return "budget_spent";
  }
  return "unknown";
}

RetrySchedule::RetrySchedule(const config::RetryConfig& retry, absl::Duration attempt_timeout,
                             absl::Duration min_attempt_time)
    : retry_(retry), attempt_timeout_(attempt_timeout), min_attempt_time_(min_attempt_time) {}

absl::Duration RetrySchedule::BackoffCeiling(int attempts_made) const {
  absl::Duration ceiling = retry_.initial_backoff;
  for (int i = 1; i < attempts_made && ceiling < retry_.max_backoff; ++i) {
    ceiling = ceiling * retry_.multiplier;
  }
  return std::min(ceiling, retry_.max_backoff);
}

RetryDecision RetrySchedule::AfterFailure(int attempts_made, absl::Time now, absl::Time deadline,
                                          absl::optional<absl::Duration> retry_after,
                                          absl::BitGenRef gen) const {
  const absl::Duration ceiling = BackoffCeiling(attempts_made);
  const std::int64_t ceiling_ms = absl::ToInt64Milliseconds(ceiling);
  absl::Duration delay = absl::Milliseconds(
      absl::Uniform<std::int64_t>(absl::IntervalClosedClosed, gen, 0, ceiling_ms));
  if (retry_after.has_value()) delay = std::max(delay, *retry_after);

  RetryDecision decision;
  decision.delay = delay;
  if (retry_.max_attempts > 0 && attempts_made >= retry_.max_attempts) {
    decision.action = RetryDecision::Action::kAttemptsExhausted;
  } else if (now + delay + min_attempt_time_ > deadline) {
    decision.action = RetryDecision::Action::kBudgetSpent;
  } else {
    return decision;
  }
  decision.delay = std::clamp(delay, absl::ZeroDuration(), kMaxNackDelay);
  return decision;
}

absl::Duration RetrySchedule::AttemptTimeout(absl::Time now, absl::Time deadline) const {
  if (now >= deadline) return absl::ZeroDuration();
  return std::min(attempt_timeout_, deadline - now);
}

}  // namespace schedsvc::dispatch
