// SqliteJobStore: JobStore on one SQLite database file in WAL mode (or ":memory:" in tests). Jobs are
// kept as their spec (`jobs`: the google.cloud.scheduler.v1.Job in the proto3 JSON mapping, through protobuf's
// JSON utilities) plus a narrow run-time row (`job_state`: scheduleTime, last attempt, status, last fired); run history and
// pending retries in their own tables. The schema is versioned (PRAGMA user_version) and an older file is
// migrated when opened. One connection guarded by a mutex: calls are short and serialised. Thread-safe.
#ifndef SCHEDSVC_SCHEDULER_STORE_SQLITE_JOB_STORE_H_
#define SCHEDSVC_SCHEDULER_STORE_SQLITE_JOB_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "src/scheduler/store/job_store.h"

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

  // For tests: pages in the write-ahead log after the last commit (0 right after a checkpoint).
  int wal_pages();

 private:
  explicit SqliteJobStore(sqlite3* db) : db_(db) {}
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Creates the schema, or migrates an older one, in one transaction; refuses a newer one.
  absl::Status ApplySchema() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SQLite's commit hook for WAL databases: records the log's size instead of checkpointing inside
  // whichever commit crosses the threshold.
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int pages);
  // Checkpoints (PASSIVE) once the log holds kCheckpointPages. Called after the commits of every write
  // except MarkFired: a checkpoint copies up to thousands of pages (passes that held one took 10-16 ms
  // instead of ~1.3 ms in scheduler_fire_bench) and MarkFired is committed inside a firing pass, before
  // its runs are dispatched. RecordAttempts runs on the loop's executor too, but in the outcome flush,
  // which waits while runs are due; a checkpoint there can still delay a pass that falls due during it.
  absl::Status CommitAndMaybeCheckpoint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeCheckpoint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  int wal_pages_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_STORE_SQLITE_JOB_STORE_H_
