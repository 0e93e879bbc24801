#include "src/scheduler/loop/scheduler_loop.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/string_view.h"
#include "src/scheduler/json_time.h"
#include "src/scheduler/schedule/retry_backoff.h"

namespace schedsvc::scheduler {
namespace {

// Runs dispatched per timer pass. A larger burst is split into passes, each committed (MarkFired) and
// dispatched before the next is taken, so the first messages leave after one chunk's work instead of
// after the whole burst's, and the loop's lock is held for one chunk at a time.
constexpr int kMaxRunsPerPass = 500;

absl::string_view ResultLabel(AttemptResult result) {
  switch (result) {
    case AttemptResult::kSuccess:
      return "success";
    case AttemptResult::kRetry:
      return "retry";
    case AttemptResult::kFailure:
      break;
  }
  return "failure";
}

}  // namespace

SchedulerLoop::SchedulerLoop(JobStore& store, JobRunner& runner, Clock& clock, Executor& executor,
                             SchedulerMetrics& metrics, JsonLogger& logger,
                             SchedulerLoopOptions options)
    : store_(store),
      runner_(runner),
      clock_(clock),
      executor_(executor),
      metrics_(metrics),
      logger_(logger),
      options_(options) {}

SchedulerLoop::~SchedulerLoop() { Shutdown(); }

absl::Status SchedulerLoop::Start() {
  absl::StatusOr<std::vector<StoredJob>> stored = store_.LoadAll();
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::vector<PendingRetry>> pending = store_.LoadPendingRetries();
  if (!pending.ok()) return pending.status();
  std::vector<std::pair<std::string, absl::Time>> schedule_times;
  // Pending retries whose run is over by now (maxRetryDuration ran out while down, or the job is gone):
  // settled in the store so they are not looked at again.
  std::vector<PendingRetry> abandoned;
  std::vector<FiredRun> settled;
  int missed = 0;
  int resumed = 0;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    for (StoredJob& s : *stored) {
      SetJob(jobs_[s.job.name()], s.job);
    }
    // Resumed before the fire times are queued: a run waiting for its retry is active, so a fire time
    // that came due meanwhile waits for it (runs never overlap).
    for (const PendingRetry& p : *pending) {
      auto it = jobs_.find(p.job_name);
      // The decision to retry is taken again with the time that has passed: with maxRetryDuration
      // alone, a long downtime ends the run; retryCount alone still allows the retry.
      if (it == jobs_.end() ||
          !ShouldRetry(it->second.retry, p.attempt - 1, now - p.first_attempt_time)) {
        abandoned.push_back(p);
        continue;
      }
      Entry& e = it->second;
      Run run;
      run.job_name = p.job_name;
      run.schedule_time = p.schedule_time;
      run.first_attempt = p.first_attempt_time;
      run.attempt = p.attempt;
      run.manual = p.manual;
      retries_.emplace(p.due_time, std::move(run));
      e.next_retry = std::min(e.next_retry, p.due_time);
      e.active_runs++;
      ++resumed;
    }
    for (StoredJob& s : *stored) {
      Entry& e = jobs_[s.job.name()];
      absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(s.job.schedule(), s.job.time_zone());
      if (schedule.ok()) e.schedule = *std::move(schedule);
      if (e.state == Job::ENABLED && e.schedule.has_value()) {
        absl::Time anchor = std::max(s.last_fired_schedule_time, UserUpdateTimeOf(s.job));
        if (anchor == absl::InfinitePast()) anchor = now;
        absl::Time first = e.schedule->NextAfter(anchor);
        if (first <= now) {
          ++missed;
          if (options_.missed_run_policy == MissedRunPolicy::kSkip) first = e.schedule->NextAfter(now);
        }
        QueueFire(s.job.name(), e, first);
      }
      absl::Time display = DisplayTime(e);
      if (display != ScheduleTimeOf(s.job)) schedule_times.emplace_back(s.job.name(), display);
    }
    for (const PendingRetry& p : abandoned) {
      auto it = jobs_.find(p.job_name);
      if (it == jobs_.end()) continue;  // its rows went with it
      settled.push_back({p.job_name, p.schedule_time, DisplayTime(it->second), p.attempt, p.manual});
    }
    ArmTimer();
    UpdateJobCounts();
  }
  for (const auto& [name, t] : schedule_times) {
    if (absl::Status s = store_.SetScheduleTime(name, t); !s.ok()) return s;
  }
  if (absl::Status s = store_.MarkFired(settled); !s.ok()) return s;
  logger_.Info("scheduler loop started",
               {{"jobs", stored->size()},
                {"jobsWithMissedRuns", missed},
                {"retriesResumed", resumed},
                {"retriesAbandoned", abandoned.size()},
                {"missedRunPolicy",
                 options_.missed_run_policy == MissedRunPolicy::kSkip ? "skip" : "fire-latest"}});
  return absl::OkStatus();
}

absl::Time SchedulerLoop::OnJobChanged(const Job& job) {
  absl::Time display;
  {
    absl::MutexLock lock(&mu_);
    Entry& e = jobs_[job.name()];
    SetJob(e, job);
    absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(job.schedule(), job.time_zone());
    e.schedule.reset();
    if (schedule.ok()) e.schedule = *std::move(schedule);
    if (e.next != absl::InfiniteFuture()) fires_.erase({e.next, job.name()});
    e.next = absl::InfiniteFuture();
    e.deferred = absl::InfiniteFuture();
    if (e.state == Job::ENABLED && e.schedule.has_value() && !shutdown_) {
      QueueFire(job.name(), e, e.schedule->NextAfter(clock_.Now()));
    }
    ArmTimer();
    UpdateJobCounts();
    display = DisplayTime(e);
  }
  if (absl::Status s = store_.SetScheduleTime(job.name(), display); !s.ok()) {
    logger_.Error("cannot store scheduleTime", {{"job", job.name()}, {"error", s.ToString()}});
  }
  return display;
}

void SchedulerLoop::OnJobDeleted(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  if (it == jobs_.end()) return;
  if (it->second.next != absl::InfiniteFuture()) fires_.erase({it->second.next, name});
  jobs_.erase(it);
  for (auto r = retries_.begin(); r != retries_.end();) {
    r = r->second.job_name == name ? retries_.erase(r) : std::next(r);
  }
  UpdateJobCounts();
}

void SchedulerLoop::RunNow(const Job& job) {
  std::vector<Dispatch> dispatches;
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) return;
    auto it = jobs_.find(job.name());
    if (it == jobs_.end()) return;
    it->second.active_runs++;
    in_flight_++;
    Run run;
    run.job_name = job.name();
    // Whole microseconds, as the store keeps times: a retry resumed after a restart carries exactly the
    // same X-CloudScheduler-ScheduleTime.
    run.schedule_time = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
    run.manual = true;
    dispatches.push_back({std::move(run), it->second.snapshot});
  }
  StartAttempts(std::move(dispatches));
}

void SchedulerLoop::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    // Only the first call waits: its caller chose the grace period.
    if (shutdown_) return;
    shutdown_ = true;
    if (timer_ != 0) executor_.Cancel(timer_);
    timer_ = 0;
    retries_.clear();
    fires_.clear();
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&idle), grace);
  }
  // Write the outcomes still queued: here if the flush task has not started (or the executor no longer
  // runs it), else wait for it.
  bool flush_here = false;
  {
    absl::MutexLock lock(&outcomes_mu_);
    if (flush_pending_ && flush_task_ != 0 && executor_.Cancel(flush_task_)) {
      flush_task_ = 0;
      flush_here = true;
    } else {
      auto flushed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(outcomes_mu_) { return !flush_pending_; };
      outcomes_mu_.AwaitWithTimeout(absl::Condition(&flushed), grace);
    }
  }
  if (flush_here) DrainCompletions();
}

int SchedulerLoop::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

void SchedulerLoop::OnTimer() {
  std::vector<Dispatch> dispatches;
  std::vector<FiredRun> fired;
  std::vector<absl::Duration> lateness;
  {
    absl::MutexLock lock(&mu_);
    timer_ = 0;
    timer_deadline_ = absl::InfiniteFuture();
    if (shutdown_) return;
    const absl::Time now = clock_.Now();
    // Jobs sharing a schedule and time zone (thousands of "* * * * *" jobs) share their fire times:
    // compute each (schedule, zone, due time) once per pass. Keys view strings of Entry::schedule,
    // which stay put while mu_ is held.
    std::map<std::tuple<absl::string_view, absl::string_view, absl::Time>, std::pair<absl::Time, absl::Time>>
        fire_times;
    dispatches.reserve(kMaxRunsPerPass);
    fired.reserve(kMaxRunsPerPass);
    lateness.reserve(kMaxRunsPerPass);
    int taken = 0;
    while (!fires_.empty() && fires_.begin()->first <= now && taken < kMaxRunsPerPass) {
      auto [t, name] = *fires_.begin();
      fires_.erase(fires_.begin());
      auto it = jobs_.find(name);
      if (it == jobs_.end()) continue;
      Entry& e = it->second;
      e.next = absl::InfiniteFuture();
      if (e.state != Job::ENABLED || !e.schedule.has_value()) continue;
      if (e.active_runs > 0) {
        // Runs never overlap: remember the fire time; it (or a later one) fires when the run ends.
        e.deferred = std::min(e.deferred, t);
        continue;
      }
      const CronSchedule& schedule = *e.schedule;
      auto [cached, inserted] = fire_times.try_emplace(
          {absl::string_view(schedule.schedule()), absl::string_view(schedule.time_zone()), t});
      if (inserted) {
        // The latest fire time due by now: runs missed while the loop was busy or the emulator was down
        // collapse into this one run. `t` is itself a due fire time, so the result is never earlier.
        const absl::Time latest = std::max(t, schedule.LastAtOrBefore(now));
        cached->second = {latest, schedule.NextAfter(latest)};
      }
      const auto [latest, next] = cached->second;
      QueueFire(name, e, next);
      e.active_runs++;
      in_flight_++;
      ++taken;
      Run run;
      run.job_name = name;
      run.schedule_time = latest;
      fired.push_back({name, latest, DisplayTime(e)});
      lateness.push_back(now - latest);
      dispatches.push_back({std::move(run), e.snapshot});
    }
    while (!retries_.empty() && retries_.begin()->first <= now && taken < kMaxRunsPerPass) {
      Run run = retries_.begin()->second;
      retries_.erase(retries_.begin());
      auto it = jobs_.find(run.job_name);
      if (it == jobs_.end()) continue;
      Entry& e = it->second;
      e.next_retry = absl::InfiniteFuture();
      in_flight_++;
      ++taken;
      fired.push_back({run.job_name, run.schedule_time, DisplayTime(e), run.attempt, run.manual});
      dispatches.push_back({std::move(run), e.snapshot});
    }
    // Anything still due re-arms the timer at once: the next pass runs after this one's dispatch.
    ArmTimer();
  }
  // Recorded before dispatch: after a crash or restart this schedule time (or this retry) is never
  // dispatched again.
  if (absl::Status s = store_.MarkFired(fired); !s.ok()) {
    logger_.Error("cannot record fired runs", {{"runs", fired.size()}, {"error", s.ToString()}});
  }
  for (absl::Duration d : lateness) metrics_.ObserveLateness(d);
  StartAttempts(std::move(dispatches));
}

void SchedulerLoop::StartAttempts(std::vector<Dispatch> dispatches) {
  for (Dispatch& d : dispatches) {
    const absl::Time attempt_time = clock_.Now();
    if (d.run.attempt == 0) d.run.first_attempt = attempt_time;
    Run run = d.run;
    runner_.Start(*d.job, d.run.schedule_time, [this, run, attempt_time](AttemptReport report) {
      OnAttemptDone(run, attempt_time, std::move(report));
    });
  }
}

void SchedulerLoop::OnAttemptDone(Run run, absl::Time attempt_time, AttemptReport report) {
  // Only queued here: the runner's completion thread (one thread for a whole burst of publishes) must
  // not wait on the loop's lock, the metrics, the log or SQLite once per attempt.
  // A message id belongs to a successful publish only.
  if (!report.status.ok()) report.message_id.clear();
  Completion c{std::move(run), attempt_time, clock_.Now(), std::move(report.status),
               std::move(report.message_id)};
  absl::MutexLock lock(&outcomes_mu_);
  completions_.push_back(std::move(c));
  if (flush_pending_) return;
  flush_pending_ = true;
  flush_task_ = executor_.Run([this] { FlushOutcomes(); });
}

void SchedulerLoop::FlushOutcomes() {
  // Dispatch first: while runs are due (a burst being taken pass by pass), outcomes wait. The timer pass
  // is already queued, so re-queueing puts this task behind it.
  bool dispatch_due = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    dispatch_due = !shutdown_ && ((!fires_.empty() && fires_.begin()->first <= now) ||
                                  (!retries_.empty() && retries_.begin()->first <= now));
  }
  if (dispatch_due) {
    absl::MutexLock lock(&outcomes_mu_);
    flush_task_ = executor_.Run([this] { FlushOutcomes(); });
    return;
  }
  std::vector<Completion> batch;
  {
    absl::MutexLock lock(&outcomes_mu_);
    flush_task_ = 0;
    if (completions_.empty()) {
      flush_pending_ = false;
      return;
    }
    batch.swap(completions_);
  }
  ProcessCompletions(std::move(batch));
  // One batch per task: a timer pass that came due meanwhile (queued earlier) runs before the next batch.
  absl::MutexLock lock(&outcomes_mu_);
  if (completions_.empty()) {
    flush_pending_ = false;
    return;
  }
  flush_task_ = executor_.Run([this] { FlushOutcomes(); });
}

void SchedulerLoop::DrainCompletions() {
  for (;;) {
    std::vector<Completion> batch;
    {
      absl::MutexLock lock(&outcomes_mu_);
      if (completions_.empty()) {
        flush_pending_ = false;
        return;
      }
      batch.swap(completions_);
    }
    ProcessCompletions(std::move(batch));
  }
}

void SchedulerLoop::ProcessCompletions(std::vector<Completion> batch) {
  struct Settled {
    AttemptResult result = AttemptResult::kSuccess;
    absl::Duration retry_delay = absl::ZeroDuration();
  };
  std::vector<Settled> settled(batch.size());
  std::vector<AttemptOutcome> outcomes;
  outcomes.reserve(batch.size());
  {
    absl::MutexLock lock(&mu_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Completion& c = batch[i];
      const Run& run = c.run;
      Settled& out = settled[i];
      out.result = c.status.ok() ? AttemptResult::kSuccess : AttemptResult::kFailure;
      in_flight_--;
      auto it = jobs_.find(run.job_name);
      if (it == jobs_.end()) continue;
      Entry& e = it->second;
      bool finished = true;
      std::optional<PendingRetry> pending;
      // Decided as of the moment the attempt reported, not when this batch is processed.
      if (!c.status.ok() && ShouldRetry(e.retry, run.attempt, c.completed - run.first_attempt)) {
        out.retry_delay = BackoffForRetry(e.retry, run.attempt);
        const absl::Time due = c.completed + out.retry_delay;
        Run next = run;
        next.attempt++;
        pending = PendingRetry{run.job_name, run.schedule_time, run.manual, next.attempt, due,
                               run.first_attempt};
        // After Shutdown the retry is only stored: the next start resumes it.
        if (!shutdown_) {
          retries_.emplace(due, next);
          e.next_retry = std::min(e.next_retry, due);
        }
        out.result = AttemptResult::kRetry;
        finished = false;
      }
      if (finished) {
        e.active_runs--;
        if (e.active_runs == 0 && e.deferred != absl::InfiniteFuture()) {
          const absl::Time t = e.deferred;
          e.deferred = absl::InfiniteFuture();
          if (e.state == Job::ENABLED && !shutdown_) QueueFire(run.job_name, e, t);
        }
      }
      RunRecord record;
      record.job_name = run.job_name;
      record.schedule_time = run.schedule_time;
      record.attempt_time = c.attempt_time;
      record.attempt = run.attempt;
      record.code = static_cast<int>(c.status.code());
      record.message = std::string(c.status.message());
      record.message_id = c.message_id;
      record.manual = run.manual;
      outcomes.push_back({std::move(record), DisplayTime(e), run.manual, std::move(pending)});
    }
    ArmTimer();
  }
  if (absl::Status s = store_.RecordAttempts(outcomes); !s.ok()) {
    logger_.Error("cannot record attempts", {{"attempts", outcomes.size()}, {"error", s.ToString()}});
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Completion& c = batch[i];
    const AttemptResult result = settled[i].result;
    metrics_.RecordAttempt(c.run.job_name, result);
    nlohmann::json fields = {{"job", c.run.job_name},
                             {"scheduleTime", FormatJsonTimestamp(c.run.schedule_time)},
                             {"attempt", c.run.attempt},
                             {"manual", c.run.manual},
                             {"result", std::string(ResultLabel(result))}};
    if (!c.message_id.empty()) fields["messageId"] = c.message_id;
    if (!c.status.ok()) fields["error"] = c.status.ToString();
    if (result == AttemptResult::kRetry) fields["retryIn"] = FormatJsonDuration(settled[i].retry_delay);
    if (c.status.ok()) {
      logger_.Info("job attempt", fields);
    } else {
      logger_.Warning("job attempt failed", fields);
    }
  }
}

void SchedulerLoop::QueueFire(const std::string& name, Entry& entry, absl::Time t) {
  if (entry.next != absl::InfiniteFuture()) fires_.erase({entry.next, name});
  entry.next = t;
  if (t != absl::InfiniteFuture()) fires_.insert({t, name});
}

void SchedulerLoop::ArmTimer() {
  if (shutdown_) return;
  absl::Time earliest = absl::InfiniteFuture();
  if (!fires_.empty()) earliest = fires_.begin()->first;
  if (!retries_.empty()) earliest = std::min(earliest, retries_.begin()->first);
  if (earliest == absl::InfiniteFuture()) return;
  if (timer_ != 0 && timer_deadline_ <= earliest) return;
  if (timer_ != 0) executor_.Cancel(timer_);
  timer_deadline_ = earliest;
  timer_ = executor_.RunAfter(earliest - clock_.Now(), [this] { OnTimer(); });
}

void SchedulerLoop::UpdateJobCounts() {
  int enabled = 0;
  int paused = 0;
  for (const auto& [name, e] : jobs_) {
    if (e.state == Job::ENABLED) ++enabled;
    if (e.state == Job::PAUSED) ++paused;
  }
  metrics_.SetJobCounts(enabled, paused);
}

void SchedulerLoop::SetJob(Entry& entry, const Job& job) {
  entry.snapshot = std::make_shared<const Job>(job);
  entry.state = job.state();
  entry.retry = RetryPolicyOf(job);
}

absl::Time SchedulerLoop::DisplayTime(const Entry& entry) {
  absl::Time t = std::min(entry.next, entry.next_retry);
  return t == absl::InfiniteFuture() ? absl::InfinitePast() : t;
}

}  // namespace schedsvc::scheduler
