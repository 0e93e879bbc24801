// Cloud Scheduler's retryConfig semantics as pure functions: the delay before each retry of a failed run, and
// whether another retry is allowed. The job runner asks these after every failed attempt; no clock, no
// threads, no state here.
//
// Backoff (BackoffForRetry): the delay before retry i (i = 0 for the first retry) starts at min_backoff,
// doubles max_doublings times, then grows linearly by min_backoff * 2^max_doublings per retry, capped at
// max_backoff:
//     delay(i) = min(max_backoff, min_backoff * 2^i)                                    for i <= max_doublings
//     delay(i) = min(max_backoff, min_backoff * 2^d * (1 + i - d))    with d = max_doublings, for i > d
// Google's example, 10 s / 300 s / 3 doublings: 10, 20, 40, 80, 160, 240, 300, 300 s.
// Defaults (5 s / 1 h / 5 doublings): 5, 10, 20, 40, 80, 160, 320, 480, ... 3600 s.
//
// Limits (ShouldRetry), after a failed attempt, with `retries_done` retries already made in this run and
// `since_first_attempt` the time from the start of the run's first attempt to now (the failure):
//     retry_count == 0 and max_retry_duration == 0  -> never retry
//     retry_count  > 0 and max_retry_duration == 0  -> retry while retries_done < retry_count
//     retry_count == 0 and max_retry_duration  > 0  -> retry while since_first_attempt < max_retry_duration
//     both > 0 ("retried until both limits are reached") -> retry while retries_done < retry_count OR
//                                                         since_first_attempt < max_retry_duration
// The duration limit is checked when the failure is known, not when the retry would start: a retry whose
// backoff ends past max_retry_duration still runs (Cloud Tasks' and Cloud Scheduler's wording: no further
// attempt once the duration "has passed").
#ifndef SCHEDSVC_SCHEDULER_SCHEDULE_RETRY_BACKOFF_H_
#define SCHEDSVC_SCHEDULER_SCHEDULE_RETRY_BACKOFF_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace schedsvc::scheduler {

struct RetryPolicy {
  // retryCount: retries after a failed attempt. Default 0; 0-5.
  int retry_count = 0;
  // maxRetryDuration: time limit for retrying, from the run's first attempt. Default 0 (no limit of its own);
  // >= 0.
  absl::Duration max_retry_duration = absl::ZeroDuration();
  // minBackoffDuration: the first retry's delay. Default 5 s; >= 0 and <= max_backoff.
  absl::Duration min_backoff = absl::Seconds(5);
  // maxBackoffDuration: the largest delay. Default 1 h; >= 0.
  absl::Duration max_backoff = absl::Hours(1);
  // maxDoublings: how many times the delay doubles before growing linearly. Default 5; >= 0.
  int max_doublings = 5;
};

// Returns the delay before retry `retry_index` (0 = first retry); a negative index is treated as 0. Never
// exceeds p.max_backoff (unless min_backoff is larger, which ValidateRetryPolicy rejects: then min_backoff).
absl::Duration BackoffForRetry(const RetryPolicy& p, int retry_index);

// Returns true when another retry is allowed (rule in the file comment).
bool ShouldRetry(const RetryPolicy& p, int retries_done, absl::Duration since_first_attempt);

// Returns OK, or kInvalidArgument naming the retryConfig field and its allowed range.
absl::Status ValidateRetryPolicy(const RetryPolicy& p);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SCHEDULE_RETRY_BACKOFF_H_
