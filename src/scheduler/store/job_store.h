// JobStore: durable storage of jobs (the google.cloud.scheduler.v1.Job proto, job.h) and their run history
// for the emulator. The service core
// (scheduler_service.h) writes the user's view of a job (its spec, state and userUpdateTime); the
// scheduler loop (scheduler_loop.h) writes only the run-time columns (scheduleTime, lastAttemptTime,
// status, the last fired schedule time) and history, so neither clobbers the other.
// Implementations are thread-safe.
#ifndef SCHEDSVC_SCHEDULER_STORE_JOB_STORE_H_
#define SCHEDSVC_SCHEDULER_STORE_JOB_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/scheduler/job.h"

namespace schedsvc::scheduler {

// A job with the loop's bookkeeping: the emulator-only state the Job proto has no field for.
struct StoredJob {
  // Its spec, state, userUpdateTime and the run-time fields (scheduleTime, lastAttemptTime, status).
  Job job;
  // The schedule time of the last scheduled (not manual) run dispatched; InfinitePast() if none.
  absl::Time last_fired_schedule_time = absl::InfinitePast();
};

// An attempt about to be dispatched: recorded before dispatch so a restart never repeats it. Attempt 0
// is a scheduled run's first attempt (it becomes the job's last fired schedule time); attempt n > 0 is
// the n-th retry of a run, which settles that run's pending retry n (see PendingRetry).
struct FiredRun {
  std::string job_name;
  absl::Time schedule_time;
  // The job's scheduleTime after this dispatch (its next fire time; InfinitePast() if none).
  absl::Time next_schedule_time = absl::InfinitePast();
  // 0 for a scheduled run's first attempt, n for its (or a manual run's) n-th retry.
  int attempt = 0;
  // True for a retry of a manual (jobs run) run.
  bool manual = false;
};

// A run whose last attempt failed and that waits for its retryConfig backoff. Stored with the failed
// attempt's outcome and settled when the retry is dispatched (FiredRun with the same attempt) or the run
// ends, so a restart resumes the runs still waiting. One per (job, schedule time, manual).
struct PendingRetry {
  std::string job_name;
  // The run's schedule time (X-CloudScheduler-ScheduleTime).
  absl::Time schedule_time;
  bool manual = false;
  // The attempt to make next: 1 for the first retry.
  int attempt = 1;
  // When the backoff ends.
  absl::Time due_time;
  // When the run's first attempt started (for maxRetryDuration).
  absl::Time first_attempt_time;
};

// One attempt of one run, kept as history.
struct RunRecord {
  std::string job_name;
  // The run's schedule time (X-CloudScheduler-ScheduleTime), the same for all its attempts.
  absl::Time schedule_time;
  absl::Time attempt_time;
  // 0 for the first attempt, n for the n-th retry.
  int attempt = 0;
  // google.rpc.Code of the attempt's outcome (0 = OK) and its message.
  int code = 0;
  std::string message;
  // The Pub/Sub message id the publish answered: Pub/Sub targets, successful attempts only; else empty.
  std::string message_id = {};
  // True for an attempt of a manual (jobs run) run.
  bool manual = false;
};

// An attempt's outcome with the job's scheduleTime after it (InfinitePast() if none).
struct AttemptOutcome {
  RunRecord record;
  absl::Time next_schedule_time = absl::InfinitePast();
  // True for an attempt of a manual (jobs run) run: which pending retry the outcome settles. History
  // keeps record.manual.
  bool manual = false;
  // The retry this failure scheduled; empty when the run ended with this attempt (its stored pending
  // retry, if any, is removed).
  std::optional<PendingRetry> retry = std::nullopt;
};

struct JobPage {
  std::vector<Job> jobs;
  // Empty on the last page.
  std::string next_page_token;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Inserts `job`. kAlreadyExists if a job with its name exists.
  virtual absl::Status Create(const Job& job) = 0;
  // Returns the job. kNotFound ("Job not found.") if absent.
  virtual absl::StatusOr<Job> Get(const std::string& name) = 0;
  // Replaces the user-owned part of the job (spec, state, userUpdateTime). kNotFound if absent.
  virtual absl::Status Update(const Job& job) = 0;
  // Deletes the job, its history and its pending retries. kNotFound if absent.
  virtual absl::Status Delete(const std::string& name) = 0;
  // Returns up to `page_size` jobs under `parent` ("projects/P/locations/L") in name order, starting
  // after `page_token` (from a previous page; empty = first page). kInvalidArgument for a bad token.
  virtual absl::StatusOr<JobPage> List(const std::string& parent, int page_size,
                                       const std::string& page_token) = 0;
  // Returns every job with its bookkeeping (the loop loads these at start).
  virtual absl::StatusOr<std::vector<StoredJob>> LoadAll() = 0;

  // Sets the job's scheduleTime (its next run, maybe a retry; InfinitePast() clears it). A missing job is
  // not an error (it may have just been deleted).
  virtual absl::Status SetScheduleTime(const std::string& name, absl::Time schedule_time) = 0;
  // Records, in one transaction, that each attempt is dispatched: its job's new scheduleTime and, for a
  // first attempt, the last fired schedule time; for a retry, that the pending retry with that attempt
  // number is settled (also when its PendingRetry is written later: the higher attempt number wins).
  virtual absl::Status MarkFired(const std::vector<FiredRun>& runs) = 0;
  // Records, in one transaction, an attempt's outcome: history row, status, lastAttemptTime and the
  // job's new scheduleTime.
  virtual absl::Status RecordAttempt(const RunRecord& record, absl::Time next_schedule_time) = 0;
  // Records many attempts' outcomes in one transaction, applied in order (a later outcome of the same
  // job wins): history, status, scheduleTime, and each run's pending retry (stored when the outcome
  // carries one, removed when a retry's outcome ends the run); outcomes of jobs that no longer exist are
  // skipped.
  virtual absl::Status RecordAttempts(const std::vector<AttemptOutcome>& outcomes) = 0;
  // Returns the stored pending retries not yet settled (the loop resumes them at start).
  virtual absl::StatusOr<std::vector<PendingRetry>> LoadPendingRetries() = 0;
  // Returns the job's most recent attempts, newest first, at most `limit`, with their message ids and
  // manual flags.
  virtual absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& name, int limit) = 0;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_STORE_JOB_STORE_H_
