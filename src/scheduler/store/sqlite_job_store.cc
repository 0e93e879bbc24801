#include "src/scheduler/store/sqlite_job_store.h"

#include <google/protobuf/util/json_util.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {
namespace {

// Schema version 2 (PRAGMA user_version). A job is its spec in `jobs` plus its run-time state in the narrow
// `job_state`, so the writes on the firing path (MarkFired, one row per due run, committed before the
// dispatch) touch small rows, not the spec's JSON. A run history row carries the Pub/Sub message id of a
// successful publish (NULL otherwise) and whether the run was manual.
constexpr int kSchemaVersion = 2;
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  name TEXT PRIMARY KEY,
  parent TEXT NOT NULL,
  spec TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_parent ON jobs(parent, name);
CREATE TABLE IF NOT EXISTS job_state (
  name TEXT PRIMARY KEY,
  schedule_time INTEGER,
  last_attempt_time INTEGER,
  status_code INTEGER,
  status_message TEXT,
  last_fired INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_name TEXT NOT NULL,
  schedule_time INTEGER NOT NULL,
  attempt_time INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  code INTEGER NOT NULL,
  message TEXT NOT NULL,
  message_id TEXT,
  manual INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs(job_name, id);
-- A run waiting for retry `attempt`; settled once `dispatched_attempt` reaches it (the dispatch and the
-- failure that scheduled it are written by different transactions, in either order).
CREATE TABLE IF NOT EXISTS pending_retries (
  job_name TEXT NOT NULL,
  schedule_time INTEGER NOT NULL,
  manual INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  due_time INTEGER NOT NULL,
  first_attempt_time INTEGER NOT NULL,
  dispatched_attempt INTEGER NOT NULL,
  PRIMARY KEY (job_name, schedule_time, manual)
);
)sql";

// Stores a pending retry, unless the row already holds that attempt or a later one.
constexpr char kUpsertPendingRetry[] = R"sql(
INSERT INTO pending_retries (job_name, schedule_time, manual, attempt, due_time, first_attempt_time,
                             dispatched_attempt)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, 0 WHERE EXISTS (SELECT 1 FROM jobs WHERE name = ?1)
ON CONFLICT (job_name, schedule_time, manual) DO UPDATE SET
  attempt = excluded.attempt, due_time = excluded.due_time,
  first_attempt_time = excluded.first_attempt_time
WHERE excluded.attempt > pending_retries.attempt
)sql";

// Settles retry ?4 of a run: creates the row as settled if the failure has not been written yet.
constexpr char kSettlePendingRetry[] = R"sql(
INSERT INTO pending_retries (job_name, schedule_time, manual, attempt, due_time, first_attempt_time,
                             dispatched_attempt)
SELECT ?1, ?2, ?3, ?4, 0, 0, ?4 WHERE EXISTS (SELECT 1 FROM jobs WHERE name = ?1)
ON CONFLICT (job_name, schedule_time, manual) DO UPDATE SET
  dispatched_attempt = max(pending_retries.dispatched_attempt, excluded.dispatched_attempt)
)sql";

// Version 0 kept the run-time columns in `jobs`: they move to `job_state` (created by kSchema first).
constexpr char kMigrateFromVersion0[] = R"sql(
INSERT INTO job_state SELECT name, schedule_time, last_attempt_time, status_code, status_message, last_fired
  FROM jobs;
ALTER TABLE jobs DROP COLUMN schedule_time;
ALTER TABLE jobs DROP COLUMN last_attempt_time;
ALTER TABLE jobs DROP COLUMN status_code;
ALTER TABLE jobs DROP COLUMN status_message;
ALTER TABLE jobs DROP COLUMN last_fired;
)sql";

// Versions 0 and 1 wrote `runs` without the message id and the manual flag: old rows read as no message
// id and a scheduled run.
constexpr char kMigrateRunsFromVersion1[] = R"sql(
ALTER TABLE runs ADD COLUMN message_id TEXT;
ALTER TABLE runs ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr int kMaxPageSize = 500;

// SQLite's own default for automatic checkpoints (~4 MiB of log).
constexpr int kCheckpointPages = 1000;

// Times are stored as Unix microseconds; NULL means "not set".
std::optional<int64_t> ToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::nullopt;
  return absl::ToUnixMicros(t);
}

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  absl::Status status() const {
    if (rc_ == SQLITE_OK) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("sqlite prepare: ", sqlite3_errmsg(db_)));
  }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  void Bind(int i, std::optional<int64_t> v) {
    if (v.has_value()) {
      sqlite3_bind_int64(stmt_, i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  // Returns SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  absl::Status Done() {
    int rc = Step();
    if (rc == SQLITE_DONE) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("sqlite step: ", sqlite3_errmsg(db_)));
  }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  bool IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  absl::Time Time(int col) {
    return IsNull(col) ? absl::InfinitePast() : absl::FromUnixMicros(Int(col));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

constexpr char kSelectColumns[] =
    "SELECT j.spec, s.schedule_time, s.last_attempt_time, s.status_code, s.status_message, s.last_fired "
    "FROM jobs j JOIN job_state s ON s.name = j.name ";

absl::StatusOr<StoredJob> RowToJob(Statement& stmt) {
  StoredJob out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (const auto s = google::protobuf::util::JsonStringToMessage(stmt.Text(0), &out.job, options); !s.ok()) {
    return absl::DataLossError(absl::StrCat("stored job spec: ", std::string(s.message())));
  }
  if (absl::Status s = CheckJobProto(out.job); !s.ok()) {
    return absl::DataLossError(absl::StrCat("stored job spec: ", s.message()));
  }
  // A spec written without a default (by an older version, or edited) reads as the REST default.
  FillJobDefaults(out.job);
  SetScheduleTime(out.job, stmt.Time(1));
  SetLastAttemptTime(out.job, stmt.Time(2));
  out.job.clear_status();
  if (!stmt.IsNull(3)) {
    out.job.mutable_status()->set_code(static_cast<int>(stmt.Int(3)));
    out.job.mutable_status()->set_message(stmt.Text(4));
  }
  out.last_fired_schedule_time = stmt.Time(5);
  return out;
}

// The spec column: the job's google.cloud.scheduler.v1.Job in the proto3 JSON mapping (the REST form of
// the same message) without the run-time fields, which live in their own columns.
absl::StatusOr<std::string> SpecJson(const Job& job) {
  Job spec = job;
  spec.clear_schedule_time();
  spec.clear_last_attempt_time();
  spec.clear_status();
  std::string text;
  if (const auto s = google::protobuf::util::MessageToJsonString(spec, &text); !s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot write job spec of \"", job.name(), "\": ", std::string(s.message())));
  }
  return text;
}

absl::Status NotFound() { return absl::NotFoundError("Job not found."); }

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("cannot open database \"", path, "\": ", message));
  }
  auto store = std::unique_ptr<SqliteJobStore>(new SqliteJobStore(db));
  absl::MutexLock lock(&store->mu_);
  sqlite3_busy_timeout(db, 5000);
  // Replaces SQLite's automatic checkpoint (itself a WAL hook): see MaybeCheckpoint.
  sqlite3_wal_hook(db, &SqliteJobStore::OnWalCommit, store.get());
  // WAL: readers never block the writer; NORMAL sync is durable across a process crash.
  for (const char* pragma : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;"}) {
    if (absl::Status s = store->Exec(pragma); !s.ok()) {
      return absl::InternalError(absl::StrCat("database \"", path, "\": ", s.message()));
    }
  }
  if (absl::Status s = store->ApplySchema(); !s.ok()) {
    return absl::InternalError(absl::StrCat("database \"", path, "\": ", s.message()));
  }
  return store;
}

int SqliteJobStore::OnWalCommit(void* self, sqlite3* /*db*/, const char* /*schema*/, int pages)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  // Runs inside a commit, on the thread holding mu_.
  static_cast<SqliteJobStore*>(self)->wal_pages_ = pages;
  return SQLITE_OK;
}

void SqliteJobStore::MaybeCheckpoint() {
  if (wal_pages_ < kCheckpointPages) return;
  // PASSIVE: copies what it can without waiting for readers (there are none: one connection). On failure
  // the count stays, so the next write tries again; the log only grows meanwhile.
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK) {
    wal_pages_ = 0;
  }
}

absl::Status SqliteJobStore::CommitAndMaybeCheckpoint() {
  absl::Status status = Exec("COMMIT");
  if (status.ok()) MaybeCheckpoint();
  return status;
}

int SqliteJobStore::wal_pages() {
  absl::MutexLock lock(&mu_);
  return wal_pages_;
}

absl::Status SqliteJobStore::ApplySchema() {
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status status;
  int version = 0;
  bool has_jobs = false;
  bool has_runs = false;
  {
    Statement v(db_, "PRAGMA user_version");
    status = v.status();
    if (status.ok() && v.Step() == SQLITE_ROW) version = static_cast<int>(v.Int(0));
    Statement t(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'");
    if (status.ok()) status = t.status();
    if (status.ok()) has_jobs = t.Step() == SQLITE_ROW;
    Statement r(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'");
    if (status.ok()) status = r.status();
    if (status.ok()) has_runs = r.Step() == SQLITE_ROW;
  }
  if (status.ok() && version > kSchemaVersion) {
    status = absl::FailedPreconditionError(absl::StrCat("schema version ", version,
                                                        " is newer than this binary's (", kSchemaVersion,
                                                        ")"));
  }
  if (status.ok()) status = Exec(kSchema);
  if (status.ok() && version == 0 && has_jobs) status = Exec(kMigrateFromVersion0);
  // A `runs` table that existed before kSchema ran has the old columns (kSchema only creates missing tables).
  if (status.ok() && version < 2 && has_runs) status = Exec(kMigrateRunsFromVersion1);
  if (status.ok()) status = Exec(absl::StrCat("PRAGMA user_version = ", kSchemaVersion).c_str());
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return status;
  }
  return Exec("COMMIT");
}

SqliteJobStore::~SqliteJobStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status SqliteJobStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return absl::InternalError(absl::StrCat("sqlite: ", message));
  }
  return absl::OkStatus();
}

absl::Status SqliteJobStore::Create(const Job& job) {
  absl::StatusOr<JobName> name = ParseJobName(job.name());
  if (!name.ok()) return name.status();
  absl::StatusOr<std::string> spec_json = SpecJson(job);
  if (!spec_json.ok()) return spec_json.status();
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement spec(db_, "INSERT INTO jobs (name, parent, spec) VALUES (?, ?, ?)");
  Statement state(db_,
                  "INSERT OR REPLACE INTO job_state (name, schedule_time, last_attempt_time, status_code, "
                  "status_message) VALUES (?, ?, ?, ?, ?)");
  absl::Status status = spec.status().ok() ? state.status() : spec.status();
  if (status.ok()) {
    spec.Bind(1, job.name());
    spec.Bind(2, name->Parent());
    spec.Bind(3, *spec_json);
    const int rc = spec.Step();
    if (rc == SQLITE_CONSTRAINT) {
      status = absl::AlreadyExistsError("Job already exists.");
    } else if (rc != SQLITE_DONE) {
      status = absl::InternalError(absl::StrCat("sqlite insert: ", sqlite3_errmsg(db_)));
    }
  }
  if (status.ok()) {
    state.Bind(1, job.name());
    state.Bind(2, ToMicros(ScheduleTimeOf(job)));
    state.Bind(3, ToMicros(LastAttemptTimeOf(job)));
    state.Bind(4, job.has_status() ? std::optional<int64_t>(job.status().code()) : std::nullopt);
    state.Bind(5, job.has_status() ? job.status().message() : std::string());
    status = state.Done();
  }
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return status;
  }
  return CommitAndMaybeCheckpoint();
}

absl::StatusOr<Job> SqliteJobStore::Get(const std::string& name) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, absl::StrCat(kSelectColumns, "WHERE j.name = ?").c_str());
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  stmt.Bind(1, name);
  if (stmt.Step() != SQLITE_ROW) return NotFound();
  absl::StatusOr<StoredJob> job = RowToJob(stmt);
  if (!job.ok()) return job.status();
  return std::move(job->job);
}

absl::Status SqliteJobStore::Update(const Job& job) {
  absl::StatusOr<std::string> spec_json = SpecJson(job);
  if (!spec_json.ok()) return spec_json.status();
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, "UPDATE jobs SET spec = ? WHERE name = ?");
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  stmt.Bind(1, *spec_json);
  stmt.Bind(2, job.name());
  if (absl::Status s = stmt.Done(); !s.ok()) return s;
  if (sqlite3_changes(db_) == 0) return NotFound();
  MaybeCheckpoint();
  return absl::OkStatus();
}

absl::Status SqliteJobStore::Delete(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement del(db_, "DELETE FROM jobs WHERE name = ?");
  Statement state(db_, "DELETE FROM job_state WHERE name = ?");
  Statement runs(db_, "DELETE FROM runs WHERE job_name = ?");
  Statement retries(db_, "DELETE FROM pending_retries WHERE job_name = ?");
  absl::Status status = del.status().ok() ? runs.status() : del.status();
  if (status.ok()) status = retries.status();
  if (status.ok()) status = state.status();
  bool found = false;
  if (status.ok()) {
    del.Bind(1, name);
    status = del.Done();
    found = sqlite3_changes(db_) > 0;
  }
  if (status.ok()) {
    state.Bind(1, name);
    status = state.Done();
  }
  if (status.ok()) {
    runs.Bind(1, name);
    status = runs.Done();
  }
  if (status.ok()) {
    retries.Bind(1, name);
    status = retries.Done();
  }
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return status;
  }
  if (absl::Status s = CommitAndMaybeCheckpoint(); !s.ok()) return s;
  return found ? absl::OkStatus() : NotFound();
}

absl::StatusOr<JobPage> SqliteJobStore::List(const std::string& parent, int page_size,
                                             const std::string& page_token) {
  if (page_size <= 0 || page_size > kMaxPageSize) page_size = kMaxPageSize;
  std::string after;
  if (!page_token.empty() && !absl::WebSafeBase64Unescape(page_token, &after)) {
    return absl::InvalidArgumentError("Invalid page token.");
  }
  if (!page_token.empty() && after.rfind(parent + "/jobs/", 0) != 0) {
    return absl::InvalidArgumentError("Invalid page token.");
  }
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, absl::StrCat(kSelectColumns,
                                   "WHERE j.parent = ? AND j.name > ? ORDER BY j.name LIMIT ?")
                          .c_str());
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  stmt.Bind(1, parent);
  stmt.Bind(2, after);
  stmt.Bind(3, static_cast<int64_t>(page_size) + 1);
  JobPage page;
  while (stmt.Step() == SQLITE_ROW) {
    absl::StatusOr<StoredJob> job = RowToJob(stmt);
    if (!job.ok()) return job.status();
    page.jobs.push_back(std::move(job->job));
  }
  if (page.jobs.size() > static_cast<size_t>(page_size)) {
    page.jobs.pop_back();
    page.next_page_token = absl::WebSafeBase64Escape(page.jobs.back().name());
  }
  return page;
}

absl::StatusOr<std::vector<StoredJob>> SqliteJobStore::LoadAll() {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, absl::StrCat(kSelectColumns, "ORDER BY j.name").c_str());
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  std::vector<StoredJob> jobs;
  while (stmt.Step() == SQLITE_ROW) {
    absl::StatusOr<StoredJob> job = RowToJob(stmt);
    if (!job.ok()) return job.status();
    jobs.push_back(*std::move(job));
  }
  return jobs;
}

absl::Status SqliteJobStore::SetScheduleTime(const std::string& name, absl::Time schedule_time) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, "UPDATE job_state SET schedule_time = ? WHERE name = ?");
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  stmt.Bind(1, ToMicros(schedule_time));
  stmt.Bind(2, name);
  absl::Status status = stmt.Done();
  if (status.ok()) MaybeCheckpoint();
  return status;
}

absl::Status SqliteJobStore::MarkFired(const std::vector<FiredRun>& runs) {
  if (runs.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement stmt(db_, "UPDATE job_state SET last_fired = ?, schedule_time = ? WHERE name = ?");
  Statement retry_time(db_, "UPDATE job_state SET schedule_time = ? WHERE name = ?");
  Statement settle(db_, kSettlePendingRetry);
  absl::Status status = stmt.status();
  if (status.ok()) status = retry_time.status();
  if (status.ok()) status = settle.status();
  for (const FiredRun& run : runs) {
    if (!status.ok()) break;
    if (run.attempt == 0) {
      stmt.Bind(1, ToMicros(run.schedule_time));
      stmt.Bind(2, ToMicros(run.next_schedule_time));
      stmt.Bind(3, run.job_name);
      status = stmt.Done();
      stmt.Reset();
      continue;
    }
    retry_time.Bind(1, ToMicros(run.next_schedule_time));
    retry_time.Bind(2, run.job_name);
    status = retry_time.Done();
    retry_time.Reset();
    if (!status.ok()) break;
    settle.Bind(1, run.job_name);
    settle.Bind(2, absl::ToUnixMicros(run.schedule_time));
    settle.Bind(3, static_cast<int64_t>(run.manual ? 1 : 0));
    settle.Bind(4, static_cast<int64_t>(run.attempt));
    status = settle.Done();
    settle.Reset();
  }
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return status;
  }
  return Exec("COMMIT");
}

absl::Status SqliteJobStore::RecordAttempt(const RunRecord& record, absl::Time next_schedule_time) {
  return RecordAttempts({AttemptOutcome{record, next_schedule_time}});
}

absl::Status SqliteJobStore::RecordAttempts(const std::vector<AttemptOutcome>& outcomes) {
  if (outcomes.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Statement update(db_,
                   "UPDATE job_state SET schedule_time = ?, last_attempt_time = ?, status_code = ?, "
                   "status_message = ? WHERE name = ?");
  Statement insert(db_,
                   "INSERT INTO runs (job_name, schedule_time, attempt_time, attempt, code, message, "
                   "message_id, manual) "
                   "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM jobs WHERE name = ?1)");
  Statement upsert_retry(db_, kUpsertPendingRetry);
  Statement end_run(db_,
                    "DELETE FROM pending_retries WHERE job_name = ? AND schedule_time = ? AND manual = ?");
  absl::Status status = update.status().ok() ? insert.status() : update.status();
  if (status.ok()) status = upsert_retry.status();
  if (status.ok()) status = end_run.status();
  for (const AttemptOutcome& outcome : outcomes) {
    if (!status.ok()) break;
    const RunRecord& record = outcome.record;
    update.Bind(1, ToMicros(outcome.next_schedule_time));
    update.Bind(2, ToMicros(record.attempt_time));
    update.Bind(3, static_cast<int64_t>(record.code));
    update.Bind(4, record.message);
    update.Bind(5, record.job_name);
    status = update.Done();
    update.Reset();
    if (!status.ok()) break;
    insert.Bind(1, record.job_name);
    insert.Bind(2, absl::ToUnixMicros(record.schedule_time));
    insert.Bind(3, absl::ToUnixMicros(record.attempt_time));
    insert.Bind(4, static_cast<int64_t>(record.attempt));
    insert.Bind(5, static_cast<int64_t>(record.code));
    insert.Bind(6, record.message);
    if (record.message_id.empty()) {
      insert.BindNull(7);
    } else {
      insert.Bind(7, record.message_id);
    }
    insert.Bind(8, static_cast<int64_t>(record.manual ? 1 : 0));
    status = insert.Done();
    insert.Reset();
    if (!status.ok()) break;
    if (outcome.retry.has_value()) {
      const PendingRetry& retry = *outcome.retry;
      upsert_retry.Bind(1, retry.job_name);
      upsert_retry.Bind(2, absl::ToUnixMicros(retry.schedule_time));
      upsert_retry.Bind(3, static_cast<int64_t>(retry.manual ? 1 : 0));
      upsert_retry.Bind(4, static_cast<int64_t>(retry.attempt));
      upsert_retry.Bind(5, absl::ToUnixMicros(retry.due_time));
      upsert_retry.Bind(6, absl::ToUnixMicros(retry.first_attempt_time));
      status = upsert_retry.Done();
      upsert_retry.Reset();
    } else if (record.attempt > 0) {
      // Only a run that has retried can have a stored pending retry: first attempts skip the lookup.
      end_run.Bind(1, record.job_name);
      end_run.Bind(2, absl::ToUnixMicros(record.schedule_time));
      end_run.Bind(3, static_cast<int64_t>(outcome.manual ? 1 : 0));
      status = end_run.Done();
      end_run.Reset();
    }
  }
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return status;
  }
  return CommitAndMaybeCheckpoint();
}

absl::StatusOr<std::vector<RunRecord>> SqliteJobStore::ListRuns(const std::string& name, int limit) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "SELECT schedule_time, attempt_time, attempt, code, message, message_id, manual FROM runs "
                 "WHERE job_name = ? ORDER BY id DESC LIMIT ?");
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  stmt.Bind(1, name);
  stmt.Bind(2, static_cast<int64_t>(limit));
  std::vector<RunRecord> runs;
  while (stmt.Step() == SQLITE_ROW) {
    RunRecord r;
    r.job_name = name;
    r.schedule_time = absl::FromUnixMicros(stmt.Int(0));
    r.attempt_time = absl::FromUnixMicros(stmt.Int(1));
    r.attempt = static_cast<int>(stmt.Int(2));
    r.code = static_cast<int>(stmt.Int(3));
    r.message = stmt.Text(4);
    r.message_id = stmt.Text(5);
    r.manual = stmt.Int(6) != 0;
    runs.push_back(std::move(r));
  }
  return runs;
}

absl::StatusOr<std::vector<PendingRetry>> SqliteJobStore::LoadPendingRetries() {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "SELECT job_name, schedule_time, manual, attempt, due_time, first_attempt_time "
                 "FROM pending_retries WHERE attempt > dispatched_attempt ORDER BY due_time");
  if (absl::Status s = stmt.status(); !s.ok()) return s;
  std::vector<PendingRetry> retries;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    PendingRetry r;
    r.job_name = stmt.Text(0);
    r.schedule_time = absl::FromUnixMicros(stmt.Int(1));
    r.manual = stmt.Int(2) != 0;
    r.attempt = static_cast<int>(stmt.Int(3));
    r.due_time = absl::FromUnixMicros(stmt.Int(4));
    r.first_attempt_time = absl::FromUnixMicros(stmt.Int(5));
    retries.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return absl::InternalError(absl::StrCat("sqlite step: ", sqlite3_errmsg(db_)));
  return retries;
}

}  // namespace schedsvc::scheduler
