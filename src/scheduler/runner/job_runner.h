// JobRunner: performs one attempt of a job's target (publish to Pub/Sub, or call the HTTP endpoint) for
// the scheduler loop. The loop decides when, and whether to retry; the runner only moves the bytes.
// Implementations are thread-safe.
#ifndef SCHEDSVC_SCHEDULER_RUNNER_JOB_RUNNER_H_
#define SCHEDSVC_SCHEDULER_RUNNER_JOB_RUNNER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/scheduler/job.h"

namespace schedsvc::scheduler {

// What one attempt came to, as the runner reports it.
struct AttemptReport {
  // OK for a published message or a 2xx answer.
  absl::Status status;
  // The message id the Pub/Sub publish answered; empty for HTTP targets and failed attempts.
  std::string message_id = {};
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;

  // Starts one attempt of `job` for the run scheduled at `schedule_time` and calls `done` exactly once
  // with its report, possibly on another thread and possibly before Start returns. `job` is not
  // referenced after Start returns.
  virtual void Start(const Job& job, absl::Time schedule_time,
                     std::function<void(AttemptReport)> done) = 0;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_RUNNER_JOB_RUNNER_H_
