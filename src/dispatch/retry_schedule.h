// RetrySchedule: the per-message retry policy of one backend. After a retryable attempt it decides
// "retry after D" or "give up", inside two limits: the backend's `retry.max_attempts` (0 = no limit,
// the default), and the message's time budget (its deadline: delivery_budget.h, or whatever the
// dispatcher grants). Delays are exponential with FULL jitter — uniform in [0, ceiling], ceiling =
// min(max_backoff, initial_backoff * multiplier^(attempts-1)) — and never shorter than a server's
// Retry-After. Attempt timeouts are clipped to the remaining budget, so no attempt can outlive the lease
// (DESIGN §4).
//
// When it gives up, `delay` is the backoff that no longer fits (capped at Pub/Sub's 600 s ModifyAckDeadline
// limit); the dispatcher hands the message back with the redelivery delay instead (redelivery_delay.h).
//
// Pure logic: times come in as arguments, randomness from an absl::BitGenRef. Immutable after
// construction; thread-safe.
#ifndef SCHEDSVC_DISPATCH_RETRY_SCHEDULE_H_
#define SCHEDSVC_DISPATCH_RETRY_SCHEDULE_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "src/config/service_config.h"
#include "src/pubsub/limits.h"

namespace schedsvc::dispatch {

struct RetryDecision {
  enum class Action {
    kRetry,              // wait `delay`, then attempt again
    kAttemptsExhausted,  // retry.max_attempts (when > 0) reached
    kBudgetSpent,        // the next attempt could not start (with min_attempt_time left) in time
  };
  Action action = Action::kRetry;
  // kRetry: wait before the next attempt. Give-up actions: the backoff that did not fit (<= 600 s).
  absl::Duration delay = absl::ZeroDuration();

  bool retry() const { return action == Action::kRetry; }
};

// Returns "retry", "attempts_exhausted" or "budget_spent".
absl::string_view RetryActionName(RetryDecision::Action action);

class RetrySchedule {
 public:
  // Pub/Sub's largest ModifyAckDeadline: the cap on a give-up nack delay.
  static constexpr absl::Duration kMaxNackDelay = pubsub::kMaxAckDeadline;
  // Default shortest attempt worth starting: an attempt with less time than this left is not made.
  static constexpr absl::Duration kDefaultMinAttemptTime = absl::Seconds(1);

  // `attempt_timeout` is the backend's `timeout`.
  RetrySchedule(const config::RetryConfig& retry, absl::Duration attempt_timeout,
                absl::Duration min_attempt_time = kDefaultMinAttemptTime);

  // Returns what to do after the `attempts_made`-th (1-based) attempt failed retryably at `now`, for a
  // message whose budget ends at `deadline`. `retry_after` is the server's Retry-After, if any. Draws
  // one jittered delay from `gen`.
  RetryDecision AfterFailure(int attempts_made, absl::Time now, absl::Time deadline,
                             absl::optional<absl::Duration> retry_after,
                             absl::BitGenRef gen) const;

  // Returns the timeout for an attempt starting at `now`: min(backend timeout, deadline - now), or
  // zero when the budget is already spent.
  absl::Duration AttemptTimeout(absl::Time now, absl::Time deadline) const;

  // Returns the jitter ceiling after the `attempts_made`-th failure.
  absl::Duration BackoffCeiling(int attempts_made) const;

 private:
  config::RetryConfig retry_;
  absl::Duration attempt_timeout_;
  absl::Duration min_attempt_time_;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_RETRY_SCHEDULE_H_
