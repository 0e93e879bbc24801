// SqliteJobStore: JobStore on one SQLite database file in WAL mode (or ":memory:" in tests). Jobs are
// kept as their JSON spec plus run-time columns; run history and pending retries in their own tables. One connection guarded
// by a mutex: calls are short and serialised. Thread-safe.
#ifndef SCHEDSVC_SCHEDULER_SQLITE_JOB_STORE_H_
#define SCHEDSVC_SCHEDULER_SQLITE_JOB_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "src/scheduler/job_store.h"

struct sqlite3;

namespace schedsvc::scheduler {

class SqliteJobStore final : public JobStore {
 public:
  // Opens (creating if needed) the database at `path` and its schema. kInternal naming the path if it
  // cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteJobStore>> Open(const std::string& path);
  ~SqliteJobStore() override;

  SqliteJobStore(const SqliteJobStore&) = delete;
  SqliteJobStore& operator=(const SqliteJobStore&) = delete;

  absl::Status Create(const Job& job) override;
  absl::StatusOr<Job> Get(const std::string& name) override;
  absl::Status Update(const Job& job) override;
  absl::Status Delete(const std::string& name) override;
  absl::StatusOr<JobPage> List(const std::string& parent, int page_size,
                               const std::string& page_token) override;
  absl::StatusOr<std::vector<StoredJob>> LoadAll() override;
  absl::Status SetScheduleTime(const std::string& name, absl::Time schedule_time) override;
  absl::Status MarkFired(const std::vector<FiredRun>& runs) override;
  absl::Status RecordAttempt(const RunRecord& record, absl::Time next_schedule_time) override;
  absl::Status RecordAttempts(const std::vector<AttemptOutcome>& outcomes) override;
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& name, int limit) override;
  absl::StatusOr<std::vector<PendingRetry>> LoadPendingRetries() override;

 private:
  explicit SqliteJobStore(sqlite3* db) : db_(db) {}
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SQLITE_JOB_STORE_H_
