#include "src/scheduler/scheduler_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schedsvc::scheduler {
namespace {

// Copies the output-only fields of `from` into `to`.
void KeepOutputOnly(const Job& from, Job& to) {
  to.clear_user_update_time();
  if (from.has_user_update_time()) *to.mutable_user_update_time() = from.user_update_time();
  to.set_state(from.state());
  to.clear_status();
  if (from.has_status()) *to.mutable_status() = from.status();
  to.clear_schedule_time();
  if (from.has_schedule_time()) *to.mutable_schedule_time() = from.schedule_time();
  to.clear_last_attempt_time();
  if (from.has_last_attempt_time()) *to.mutable_last_attempt_time() = from.last_attempt_time();
}

}  // namespace

absl::Status ValidateParent(const std::string& parent) {
  std::vector<absl::string_view> parts = absl::StrSplit(parent, '/');
  if (parts.size() != 4 || parts[0] != "projects" || parts[2] != "locations" || parts[1].empty() ||
      parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Parent must be formatted: \"projects/<PROJECT_ID>/locations/<LOCATION_ID>\", got \"", parent,
        "\"."));
  }
  return absl::OkStatus();
}

SchedulerService::SchedulerService(JobStore& store, SchedulerLoop& loop, Clock& clock,
                                   JsonLogger& logger)
    : store_(store), loop_(loop), clock_(clock), logger_(logger) {}

absl::StatusOr<Job> SchedulerService::CreateJob(const std::string& parent, JobRequest request) {
  if (absl::Status s = ValidateParent(parent); !s.ok()) return s;
  if (request.job.name().empty()) return absl::InvalidArgumentError("Job name is required.");
  if (absl::Status s = ValidateJob(request, parent); !s.ok()) return s;
  Job job = std::move(request.job);
  FillJobDefaults(job);
  job.set_state(Job::ENABLED);
  SetUserUpdateTime(job, clock_.Now());
  job.clear_status();
  job.clear_schedule_time();
  job.clear_last_attempt_time();
  absl::MutexLock lock(&write_mu_);
  if (absl::Status s = store_.Create(job); !s.ok()) return s;
  SetScheduleTime(job, loop_.OnJobChanged(job));
  logger_.Info("job created",
               {{"job", job.name()}, {"schedule", job.schedule()}, {"timeZone", job.time_zone()}});
  return job;
}

absl::StatusOr<Job> SchedulerService::GetJob(const std::string& name) {
  if (absl::StatusOr<JobName> n = ParseJobName(name); !n.ok()) return n.status();
  return store_.Get(name);
}

absl::StatusOr<std::vector<RunRecord>> SchedulerService::ListRuns(const std::string& name, int limit) {
  // The job is looked up first: the store answers an empty history for a job that does not exist.
  if (absl::StatusOr<Job> job = GetJob(name); !job.ok()) return job.status();
  return store_.ListRuns(name, limit);
}

absl::StatusOr<JobPage> SchedulerService::ListJobs(const std::string& parent, int page_size,
                                                   const std::string& page_token) {
  if (absl::Status s = ValidateParent(parent); !s.ok()) return s;
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative.");
  return store_.List(parent, page_size, page_token);
}

absl::StatusOr<Job> SchedulerService::UpdateJob(
    const std::string& name, const std::function<absl::StatusOr<JobRequest>(const Job&)>& update) {
  absl::StatusOr<JobName> parsed = ParseJobName(name);
  if (!parsed.ok()) return parsed.status();
  absl::MutexLock lock(&write_mu_);
  absl::StatusOr<Job> current = store_.Get(name);
  if (!current.ok()) return current.status();
  absl::StatusOr<JobRequest> updated = update(*current);
  if (!updated.ok()) return updated.status();
  updated->job.set_name(name);
  KeepOutputOnly(*current, updated->job);
  if (absl::Status s = ValidateJob(*updated, parsed->Parent()); !s.ok()) return s;
  Job job = std::move(updated->job);
  FillJobDefaults(job);
  SetUserUpdateTime(job, clock_.Now());
  if (absl::Status s = store_.Update(job); !s.ok()) return s;
  SetScheduleTime(job, loop_.OnJobChanged(job));
  logger_.Info("job updated", {{"job", name}});
  return job;
}

absl::Status SchedulerService::DeleteJob(const std::string& name) {
  if (absl::StatusOr<JobName> n = ParseJobName(name); !n.ok()) return n.status();
  absl::MutexLock lock(&write_mu_);
  if (absl::Status s = store_.Delete(name); !s.ok()) return s;
  loop_.OnJobDeleted(name);
  logger_.Info("job deleted", {{"job", name}});
  return absl::OkStatus();
}

absl::StatusOr<Job> SchedulerService::SetState(const std::string& name, Job::State from, Job::State to) {
  if (absl::StatusOr<JobName> n = ParseJobName(name); !n.ok()) return n.status();
  absl::MutexLock lock(&write_mu_);
  absl::StatusOr<Job> job = store_.Get(name);
  if (!job.ok()) return job.status();
  if (job->state() != from) {
    return absl::FailedPreconditionError(absl::StrCat("Job must be ", JobStateName(from),
                                                      " to be ", to == Job::PAUSED ? "paused" : "resumed",
                                                      "; it is ", JobStateName(job->state()), "."));
  }
  job->set_state(to);
  SetUserUpdateTime(*job, clock_.Now());
  if (absl::Status s = store_.Update(*job); !s.ok()) return s;
  SetScheduleTime(*job, loop_.OnJobChanged(*job));
  logger_.Info(to == Job::PAUSED ? "job paused" : "job resumed", {{"job", name}});
  return job;
}

absl::StatusOr<Job> SchedulerService::PauseJob(const std::string& name) {
  return SetState(name, Job::ENABLED, Job::PAUSED);
}

absl::StatusOr<Job> SchedulerService::ResumeJob(const std::string& name) {
  return SetState(name, Job::PAUSED, Job::ENABLED);
}

absl::StatusOr<Job> SchedulerService::RunJob(const std::string& name) {
  if (absl::StatusOr<JobName> n = ParseJobName(name); !n.ok()) return n.status();
  absl::StatusOr<Job> job = store_.Get(name);
  if (!job.ok()) return job.status();
  loop_.RunNow(*job);
  logger_.Info("job run requested", {{"job", name}});
  return job;
}

}  // namespace schedsvc::scheduler
