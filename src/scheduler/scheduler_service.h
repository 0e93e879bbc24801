// SchedulerService: the Cloud Scheduler v1 operations (CreateJob, GetJob, ListJobs, UpdateJob, DeleteJob,
// PauseJob, ResumeJob, RunJob) shared by the REST handler (rest/jobs_handler.h) and the gRPC service, and
// the run history the emulator's REST extensions read (ListRuns, rest/emulator_extensions_handler.h). It
// validates, sets the output-only fields (state, userUpdateTime), writes the store and tells the
// scheduler loop. Errors carry Google's codes and messages (kNotFound "Job not found.", kAlreadyExists,
// kInvalidArgument, kFailedPrecondition). Thread-safe: writes are serialised so read-modify-write updates
// cannot interleave.
#ifndef SCHEDSVC_SCHEDULER_SCHEDULER_SERVICE_H_
#define SCHEDSVC_SCHEDULER_SCHEDULER_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/scheduler/job.h"
#include "src/scheduler/loop/scheduler_loop.h"
#include "src/scheduler/store/job_store.h"

namespace schedsvc::scheduler {

class SchedulerService {
 public:
  // All references must outlive the service.
  SchedulerService(JobStore& store, SchedulerLoop& loop, Clock& clock, JsonLogger& logger);

  // Creates the request's job under `parent` ("projects/P/locations/L"). Output-only fields in it are ignored;
  // the REST defaults are filled (FillJobDefaults) once it is valid.
  absl::StatusOr<Job> CreateJob(const std::string& parent, JobRequest request);
  absl::StatusOr<Job> GetJob(const std::string& name);
  absl::StatusOr<JobPage> ListJobs(const std::string& parent, int page_size,
                                   const std::string& page_token);
  // Applies `update` to the current job (it returns the new spec, or an error), validates, fills the
  // defaults and stores the result. The name and output-only fields cannot change.
  absl::StatusOr<Job> UpdateJob(const std::string& name,
                                const std::function<absl::StatusOr<JobRequest>(const Job&)>& update);
  absl::Status DeleteJob(const std::string& name);
  // kFailedPrecondition unless the job is ENABLED.
  absl::StatusOr<Job> PauseJob(const std::string& name);
  // kFailedPrecondition unless the job is PAUSED.
  absl::StatusOr<Job> ResumeJob(const std::string& name);
  // Dispatches the job now, whatever its state or running runs.
  absl::StatusOr<Job> RunJob(const std::string& name);
  // Returns the job's most recent attempts, newest first, at most `limit` (the emulator's run history
  // extension). kNotFound ("Job not found.") when the job does not exist.
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& name, int limit);

 private:
  absl::StatusOr<Job> SetState(const std::string& name, Job::State from, Job::State to);

  JobStore& store_;
  SchedulerLoop& loop_;
  Clock& clock_;
  JsonLogger& logger_;
  absl::Mutex write_mu_;
};

// Returns OK if `parent` is "projects/P/locations/L" with non-empty parts, else kInvalidArgument.
absl::Status ValidateParent(const std::string& parent);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SCHEDULER_SERVICE_H_
