// SchedulerLoop: the emulator's one timer. It keeps every enabled job's next fire time in memory, arms a
// single Executor timer for the earliest due event (a scheduled run or a retry) and re-arms it when jobs
// change: no thread per job, no polling. Due runs are recorded in the store (JobStore::MarkFired) before
// they are dispatched, so a restart never fires the same scheduled time twice.
//
// Runs: a scheduled run is one dispatch of the job's target plus its retries (retryConfig through
// BackoffForRetry/ShouldRetry); X-CloudScheduler-ScheduleTime stays the run's schedule time across
// retries. Runs of one job never overlap: a fire time that comes due while a run is outstanding waits,
// and when the run ends only the latest of the fire times that passed meanwhile fires (once). The same
// rule covers downtime (MissedRunPolicy::kFireLatest, the default): at Start(), a job whose next fire time
// after max(last fired, last user update) has passed fires once, with the latest missed schedule time;
// kSkip instead waits for the next fire time after now. Paused jobs do not catch up. RunNow() dispatches
// at once, even while a run is outstanding.
//
// Due events are taken in passes of at most kMaxRunsPerPass (scheduler_loop.cc): each pass is committed
// with one MarkFired transaction and dispatched before the next pass is taken, so a burst of thousands of
// runs due at the same instant starts publishing after one pass's work, not the whole burst's.
//
// Pending retries survive a restart: a failure that schedules a retry stores it (JobStore's PendingRetry:
// job, schedule time, attempt, due time, first attempt time) with the attempt's outcome, and dispatching
// the retry settles it in the MarkFired transaction before it is sent, like a scheduled run. At Start()
// each stored retry still allowed by the job's retryConfig (ShouldRetry with the time since the run's
// first attempt, now) is resumed at its due time (at once if that has passed) and counts as an
// outstanding run, so fire times that come due meanwhile wait for it. A crash loses at most the attempt
// in flight (it is never sent twice) and a retry whose failure was not flushed yet.
//
// Attempt outcomes are only queued by the runner's callback; one flush task on the Executor takes them
// in batches: run state (retry or end of run) under one lock, history, status, scheduleTime and pending
// retries in one transaction, then metrics and the per-attempt log line. The runner's completion thread
// never waits on the loop's lock, the log or SQLite, so a minute with thousands of due runs is not
// serialised behind per-attempt work. Retry due times are counted from when the attempt reported.
// Outcomes are history only; the fired-once guarantee rests on MarkFired, committed before dispatch. Each
// history row (RunRecord) carries the message id a successful publish answered and whether the run is manual.
//
// Owned by the server; the JobStore, JobRunner, Clock, Executor and SchedulerMetrics must outlive it.
// Thread-safe. Never calls the store or runner while holding its lock.
#ifndef SCHEDSVC_SCHEDULER_LOOP_SCHEDULER_LOOP_H_
#define SCHEDSVC_SCHEDULER_LOOP_SCHEDULER_LOOP_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/common/executor.h"
#include "src/common/json_log.h"
#include "src/scheduler/job.h"
#include "src/scheduler/runner/job_runner.h"
#include "src/scheduler/schedule/cron_schedule.h"
#include "src/scheduler/scheduler_metrics.h"
#include "src/scheduler/store/job_store.h"

namespace schedsvc::scheduler {

// What happens at start to runs that fell due while the emulator was down.
enum class MissedRunPolicy {
  // The latest missed run fires once, right away (default).
  kFireLatest,
  // Missed runs are dropped; the job next fires at its first fire time after start.
  kSkip,
};

struct SchedulerLoopOptions {
  // Default kFireLatest.
  MissedRunPolicy missed_run_policy = MissedRunPolicy::kFireLatest;
};

class SchedulerLoop {
 public:
  SchedulerLoop(JobStore& store, JobRunner& runner, Clock& clock, Executor& executor,
                SchedulerMetrics& metrics, JsonLogger& logger, SchedulerLoopOptions options = {});
  ~SchedulerLoop();

  SchedulerLoop(const SchedulerLoop&) = delete;
  SchedulerLoop& operator=(const SchedulerLoop&) = delete;

  // Loads every job from the store, applies the missed-run policy and arms the timer. Errors are the
  // store's.
  absl::Status Start();

  // Tells the loop that `job` was created or changed (spec, or state by pause/resume). Recomputes its
  // next fire time from now (none unless ENABLED), stores it as the job's scheduleTime and returns it
  // (InfinitePast() when none).
  absl::Time OnJobChanged(const Job& job);

  // Forgets a deleted job; its pending retries are dropped.
  void OnJobDeleted(const std::string& name);

  // Dispatches `job` now as a manual run (schedule time = now), with retries per its retryConfig.
  void RunNow(const Job& job);

  // Stops firing and waits (up to `grace`) for attempts in flight to report, then (up to `grace` again)
  // for their outcomes, and the retries their failures schedule, to be written to the store for the next
  // Start(). Idempotent: later calls (the destructor's included) return at once.
  void Shutdown(absl::Duration grace = absl::Seconds(30));

  // For tests and the benchmark: attempts started whose outcome the flush task has not processed yet.
  int in_flight() const;

 private:
  struct Run {
    std::string job_name;
    absl::Time schedule_time;
    absl::Time first_attempt = absl::InfinitePast();
    // 0 for the first attempt.
    int attempt = 0;
    bool manual = false;
  };
  struct Entry {
    // The job as last stored, shared with the dispatches taken from it.
    std::shared_ptr<const Job> snapshot;
    // Read from `snapshot` when it is set: the job's state and its retryConfig with defaults filled.
    Job::State state = Job::STATE_UNSPECIFIED;
    RetryPolicy retry;
    std::optional<CronSchedule> schedule;
    // Next scheduled fire time; InfiniteFuture() when none is queued.
    absl::Time next = absl::InfiniteFuture();
    // Runs (scheduled or manual) not finished yet.
    int active_runs = 0;
    // Earliest fire time that came due while a run was active; InfiniteFuture() if none.
    absl::Time deferred = absl::InfiniteFuture();
    // Earliest pending retry; for scheduleTime.
    absl::Time next_retry = absl::InfiniteFuture();
  };
  struct Dispatch {
    Run run;
    // The job as it was when the attempt was taken; shared, not copied, per attempt.
    std::shared_ptr<const Job> job;
  };

  void OnTimer();
  void StartAttempts(std::vector<Dispatch> dispatches);
  // An attempt's outcome as the runner reported it, waiting for the flush task.
  struct Completion {
    Run run;
    absl::Time attempt_time;
    // When the runner reported it: retry decisions and due times are taken from here.
    absl::Time completed;
    absl::Status status;
    // The Pub/Sub message id of a successful publish; empty otherwise.
    std::string message_id;
  };
  // The runner's callback: queues the completion and schedules the flush task if none is pending.
  void OnAttemptDone(Run run, absl::Time attempt_time, AttemptReport report);
  // The flush task: processes the completions queued so far as one batch and, if more arrived
  // meanwhile, schedules itself again (behind any timer pass already due).
  void FlushOutcomes();
  // Processes queued completions until none is left, on the caller's thread (Shutdown).
  void DrainCompletions();
  // For one batch: the run state (retry, deferred fire) under one lock, one store transaction
  // (history, status, pending retries), then metrics and one log line per attempt.
  void ProcessCompletions(std::vector<Completion> batch);
  // Queues `entry`'s next fire at `t` (replacing any queued one).
  void QueueFire(const std::string& name, Entry& entry, absl::Time t)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ArmTimer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateJobCounts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static absl::Time DisplayTime(const Entry& entry);
  // Sets `entry`'s job (snapshot, state, retry policy).
  static void SetJob(Entry& entry, const Job& job);

  JobStore& store_;
  JobRunner& runner_;
  Clock& clock_;
  Executor& executor_;
  SchedulerMetrics& metrics_;
  JsonLogger& logger_;
  const SchedulerLoopOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> jobs_ ABSL_GUARDED_BY(mu_);
  // Scheduled fires, earliest first.
  std::set<std::pair<absl::Time, std::string>> fires_ ABSL_GUARDED_BY(mu_);
  // Pending retries, earliest first.
  std::multimap<absl::Time, Run> retries_ ABSL_GUARDED_BY(mu_);
  TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time timer_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;

  // Never held together with mu_.
  mutable absl::Mutex outcomes_mu_;
  std::vector<Completion> completions_ ABSL_GUARDED_BY(outcomes_mu_);
  // True from scheduling the flush task until it finds the queue empty: at most one writer at a time.
  bool flush_pending_ ABSL_GUARDED_BY(outcomes_mu_) = false;
  TimerId flush_task_ ABSL_GUARDED_BY(outcomes_mu_) = 0;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_LOOP_SCHEDULER_LOOP_H_
