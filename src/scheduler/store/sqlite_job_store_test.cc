#include "src/scheduler/store/sqlite_job_store.h"

#include <google/protobuf/util/message_differencer.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/rest/job_json.h"

namespace schedsvc::scheduler {
namespace {

constexpr char kParent[] = "projects/p/locations/l";
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

Job MakeJob(const std::string& id) {
  Job job;
  job.set_name(absl::StrCat(kParent, "/jobs/", id));
  job.set_schedule("* * * * *");
  job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
  job.mutable_pubsub_target()->set_data("d");
  job.set_state(Job::ENABLED);
  SetUserUpdateTime(job, kT0);
  // As the service stores a job.
  FillJobDefaults(job);
  return job;
}

std::unique_ptr<SqliteJobStore> OpenMemory() {
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(":memory:");
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

TEST(SqliteJobStoreTest, CreateGetAndDuplicate) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->Create(MakeJob("a")).ok());
  EXPECT_EQ(store->Create(MakeJob("a")).code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<Job> got = store->Get(MakeJob("a").name());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, MakeJob("a"))) << got->ShortDebugString();
  EXPECT_EQ(store->Get(MakeJob("zz").name()).status().code(), absl::StatusCode::kNotFound);
}

TEST(SqliteJobStoreTest, ListPagesInNameOrderWithinParent) {
  auto store = OpenMemory();
  for (const char* id : {"c", "a", "e", "b", "d"}) ASSERT_TRUE(store->Create(MakeJob(id)).ok());
  Job other = MakeJob("x");
  other.set_name("projects/p/locations/other/jobs/x");
  ASSERT_TRUE(store->Create(other).ok());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<JobPage> page = store->List(kParent, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Job& j : page->jobs) seen.push_back(j.name().substr(j.name().rfind('/') + 1));
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_THAT(seen, ::testing::ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(store->List(kParent, 2, "garbage!").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SqliteJobStoreTest, UpdateKeepsRunTimeColumns) {
  auto store = OpenMemory();
  Job job = MakeJob("a");
  ASSERT_TRUE(store->Create(job).ok());
  RunRecord record{job.name(), kT0, kT0 + absl::Seconds(1), 0, 14, "unavailable"};
  ASSERT_TRUE(store->RecordAttempt(record, kT0 + absl::Minutes(1)).ok());
  job.set_description("changed");
  ASSERT_TRUE(store->Update(job).ok());
  absl::StatusOr<Job> got = store->Get(job.name());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->description(), "changed");
  ASSERT_TRUE(got->has_status());
  EXPECT_EQ(got->status().code(), 14);
  EXPECT_EQ(got->status().message(), "unavailable");
  EXPECT_EQ(LastAttemptTimeOf(*got), kT0 + absl::Seconds(1));
  EXPECT_EQ(ScheduleTimeOf(*got), kT0 + absl::Minutes(1));
  EXPECT_EQ(store->Update(MakeJob("missing")).code(), absl::StatusCode::kNotFound);
}

TEST(SqliteJobStoreTest, MarkFiredIsLoadedBack) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->Create(MakeJob("a")).ok());
  ASSERT_TRUE(store->MarkFired({{MakeJob("a").name(), kT0, kT0 + absl::Minutes(1)}}).ok());
  absl::StatusOr<std::vector<StoredJob>> all = store->LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].last_fired_schedule_time, kT0);
  EXPECT_EQ(ScheduleTimeOf((*all)[0].job), kT0 + absl::Minutes(1));
}

TEST(SqliteJobStoreTest, HistoryNewestFirstAndDeletedWithTheJob) {
  auto store = OpenMemory();
  Job job = MakeJob("a");
  ASSERT_TRUE(store->Create(job).ok());
  for (int i = 0; i < 3; ++i) {
    RunRecord r{job.name(), kT0, kT0 + absl::Seconds(i), i, i == 2 ? 0 : 14, ""};
    ASSERT_TRUE(store->RecordAttempt(r, absl::InfinitePast()).ok());
  }
  absl::StatusOr<std::vector<RunRecord>> runs = store->ListRuns(job.name(), 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].attempt, 2);
  EXPECT_EQ((*runs)[0].code, 0);
  ASSERT_TRUE(store->Delete(job.name()).ok());
  EXPECT_EQ(store->Delete(job.name()).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->ListRuns(job.name(), 10)->empty());
  // An attempt reported after deletion leaves no orphan history.
  ASSERT_TRUE(store->RecordAttempt({job.name(), kT0, kT0, 0, 0, ""}, absl::InfinitePast()).ok());
  EXPECT_TRUE(store->ListRuns(job.name(), 10)->empty());
}

TEST(SqliteJobStoreTest, HistoryKeepsMessageIdAndManualFlag) {
  constexpr char kMessageId[] = "4711";
  auto store = OpenMemory();
  Job job = MakeJob("a");
  ASSERT_TRUE(store->Create(job).ok());
  RunRecord scheduled{job.name(), kT0, kT0, 0, 0, ""};
  scheduled.message_id = kMessageId;
  RunRecord manual{job.name(), kT0 + absl::Minutes(1), kT0 + absl::Minutes(1), 0, 14, "unavailable"};
  manual.manual = true;
  ASSERT_TRUE(store->RecordAttempts({AttemptOutcome{scheduled}, AttemptOutcome{manual, absl::InfinitePast(), true}})
                  .ok());
  absl::StatusOr<std::vector<RunRecord>> runs = store->ListRuns(job.name(), 10);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].message_id, "");
  EXPECT_TRUE((*runs)[0].manual);
  EXPECT_EQ((*runs)[0].message, "unavailable");
  EXPECT_EQ((*runs)[1].message_id, kMessageId);
  EXPECT_FALSE((*runs)[1].manual);
}

TEST(SqliteJobStoreTest, RecordAttemptsWritesABatchInOrder) {
  auto store = OpenMemory();
  Job a = MakeJob("a");
  Job b = MakeJob("b");
  ASSERT_TRUE(store->Create(a).ok());
  ASSERT_TRUE(store->Create(b).ok());
  const std::string gone = absl::StrCat(kParent, "/jobs/gone");
  std::vector<AttemptOutcome> batch = {
      {{a.name(), kT0, kT0, 0, 14, "unavailable"}, kT0 + absl::Seconds(10)},
      {{gone, kT0, kT0, 0, 0, ""}, kT0 + absl::Minutes(1)},
      {{b.name(), kT0, kT0, 0, 0, ""}, kT0 + absl::Minutes(1)},
      {{a.name(), kT0, kT0 + absl::Seconds(10), 1, 0, ""}, kT0 + absl::Minutes(1)},
  };
  ASSERT_TRUE(store->RecordAttempts(batch).ok());
  absl::StatusOr<std::vector<RunRecord>> runs = store->ListRuns(a.name(), 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].attempt, 1);
  EXPECT_EQ((*runs)[1].code, 14);
  absl::StatusOr<Job> stored_a = store->Get(a.name());
  ASSERT_TRUE(stored_a.ok());
  // The later outcome of the same job wins.
  EXPECT_EQ(ScheduleTimeOf(*stored_a), kT0 + absl::Minutes(1));
  ASSERT_TRUE(stored_a->has_status());
  EXPECT_EQ(stored_a->status().code(), 0);
  EXPECT_EQ(store->ListRuns(b.name(), 10)->size(), 1u);
  EXPECT_TRUE(store->ListRuns(gone, 10)->empty());
  EXPECT_TRUE(store->RecordAttempts({}).ok());
}

// The outcome of a failed attempt that schedules retry `attempt` of the run at kT0.
AttemptOutcome FailedWithRetry(const std::string& job, int attempt) {
  AttemptOutcome outcome;
  outcome.record = {job, kT0, kT0 + absl::Seconds(attempt), attempt - 1, 14, "503"};
  outcome.retry = PendingRetry{job, kT0, false, attempt, kT0 + absl::Seconds(10 * attempt), kT0};
  return outcome;
}

TEST(SqliteJobStoreTest, PendingRetryIsStoredUntilItsRetryIsDispatched) {
  auto store = OpenMemory();
  const Job job = MakeJob("a");
  ASSERT_TRUE(store->Create(job).ok());
  ASSERT_TRUE(store->RecordAttempts({FailedWithRetry(job.name(), 1)}).ok());
  absl::StatusOr<std::vector<PendingRetry>> pending = store->LoadPendingRetries();
  ASSERT_TRUE(pending.ok()) << pending.status();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].job_name, job.name());
  EXPECT_EQ((*pending)[0].schedule_time, kT0);
  EXPECT_FALSE((*pending)[0].manual);
  EXPECT_EQ((*pending)[0].attempt, 1);
  EXPECT_EQ((*pending)[0].due_time, kT0 + absl::Seconds(10));
  EXPECT_EQ((*pending)[0].first_attempt_time, kT0);
  // Dispatching retry 1 settles it; a retry does not move the last fired schedule time.
  FiredRun retry{job.name(), kT0, kT0 + absl::Minutes(1), 1, false};
  ASSERT_TRUE(store->MarkFired({retry}).ok());
  EXPECT_TRUE(store->LoadPendingRetries()->empty());
  EXPECT_EQ(store->LoadAll()->at(0).last_fired_schedule_time, absl::InfinitePast());
  EXPECT_EQ(ScheduleTimeOf(store->LoadAll()->at(0).job), kT0 + absl::Minutes(1));
}

TEST(SqliteJobStoreTest, RetryDispatchedBeforeItsFailureIsWrittenStaysSettled) {
  auto store = OpenMemory();
  const Job job = MakeJob("a");
  ASSERT_TRUE(store->Create(job).ok());
  // A zero backoff can dispatch retry 1 before the outcome flush writes the failure that scheduled it.
  ASSERT_TRUE(store->MarkFired({{job.name(), kT0, absl::InfinitePast(), 1, false}}).ok());
  ASSERT_TRUE(store->RecordAttempts({FailedWithRetry(job.name(), 1)}).ok());
  EXPECT_TRUE(store->LoadPendingRetries()->empty());
  // Retry 1 failed too: retry 2 is pending.
  ASSERT_TRUE(store->RecordAttempts({FailedWithRetry(job.name(), 2)}).ok());
  ASSERT_EQ(store->LoadPendingRetries()->size(), 1u);
  EXPECT_EQ(store->LoadPendingRetries()->at(0).attempt, 2);
}

TEST(SqliteJobStoreTest, RunThatEndsOrJobThatIsDeletedLeavesNoPendingRetry) {
  auto store = OpenMemory();
  const Job a = MakeJob("a");
  const Job b = MakeJob("b");
  ASSERT_TRUE(store->Create(a).ok());
  ASSERT_TRUE(store->Create(b).ok());
  AttemptOutcome last;
  last.record = {a.name(), kT0, kT0 + absl::Seconds(20), 1, 0, ""};
  ASSERT_TRUE(store->RecordAttempts({FailedWithRetry(a.name(), 1), FailedWithRetry(b.name(), 1), last}).ok());
  ASSERT_EQ(store->LoadPendingRetries()->size(), 1u);
  EXPECT_EQ(store->LoadPendingRetries()->at(0).job_name, b.name());
  ASSERT_TRUE(store->Delete(b.name()).ok());
  EXPECT_TRUE(store->LoadPendingRetries()->empty());
  // Outcomes of a deleted job store no retry.
  ASSERT_TRUE(store->RecordAttempts({FailedWithRetry(b.name(), 1)}).ok());
  EXPECT_TRUE(store->LoadPendingRetries()->empty());
}

TEST(SqliteJobStoreTest, FileDatabaseSurvivesReopen) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/store_test_", getpid(), ".db");
  {
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Create(MakeJob("a")).ok());
    ASSERT_TRUE((*store)->MarkFired({{MakeJob("a").name(), kT0, absl::InfinitePast()}}).ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
  ASSERT_TRUE(store.ok());
  absl::StatusOr<std::vector<StoredJob>> all = (*store)->LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].last_fired_schedule_time, kT0);
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// Runs `sql` on the database file at `path` with plain SQLite, as another program (or an older
// binary) would.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// A file written by the version-0 schema (run-time columns in `jobs`) is migrated when opened: the
// job, its scheduleTime, last attempt, status and last fired time all survive.
TEST(SqliteJobStoreTest, Version0FileIsMigrated) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/store_v0_", getpid(), ".db");
  Job job = MakeJob("old");
  absl::StatusOr<nlohmann::json> json = JobToJson(job);
  ASSERT_TRUE(json.ok()) << json.status();
  const std::string spec = json->dump();
  RawExec(path, absl::StrCat(R"sql(
    CREATE TABLE jobs (name TEXT PRIMARY KEY, parent TEXT NOT NULL, spec TEXT NOT NULL,
      schedule_time INTEGER, last_attempt_time INTEGER, status_code INTEGER, status_message TEXT,
      last_fired INTEGER);
    CREATE INDEX jobs_by_parent ON jobs(parent, name);
    INSERT INTO jobs VALUES (')sql", job.name(), "', '", kParent, "', '", spec, "', ",
                             absl::ToUnixMicros(kT0 + absl::Minutes(2)), ", ",
                             absl::ToUnixMicros(kT0 + absl::Minutes(1)), ", 14, 'unavailable', ",
                             absl::ToUnixMicros(kT0 + absl::Minutes(1)), ");"));
  {
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<StoredJob>> all = (*store)->LoadAll();
    ASSERT_TRUE(all.ok()) << all.status();
    ASSERT_EQ(all->size(), 1u);
    const StoredJob& loaded = (*all)[0];
    EXPECT_EQ(loaded.job.name(), job.name());
    EXPECT_EQ(ScheduleTimeOf(loaded.job), kT0 + absl::Minutes(2));
    EXPECT_EQ(LastAttemptTimeOf(loaded.job), kT0 + absl::Minutes(1));
    ASSERT_TRUE(loaded.job.has_status());
    EXPECT_EQ(loaded.job.status().code(), 14);
    EXPECT_EQ(loaded.job.status().message(), "unavailable");
    EXPECT_EQ(loaded.last_fired_schedule_time, kT0 + absl::Minutes(1));
    // Writes go to the new layout.
    ASSERT_TRUE((*store)->MarkFired({{job.name(), kT0 + absl::Minutes(2), kT0 + absl::Minutes(3)}}).ok());
    absl::StatusOr<Job> got = (*store)->Get(job.name());
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(ScheduleTimeOf(*got), kT0 + absl::Minutes(3));
  }
  // Opened again: already at the current version, nothing to migrate.
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> again = SqliteJobStore::Open(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->LoadAll()->at(0).last_fired_schedule_time, kT0 + absl::Minutes(2));
  again->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// A file written by the version-1 schema (run history without message ids or the manual flag) opens:
// its history reads back as scheduled runs without a message id, and new rows keep both.
TEST(SqliteJobStoreTest, Version1FileIsMigrated) {
  constexpr char kMessageId[] = "88";
  const std::string path = absl::StrCat(::testing::TempDir(), "/store_v1_", getpid(), ".db");
  Job job = MakeJob("old");
  absl::StatusOr<nlohmann::json> json = JobToJson(job);
  ASSERT_TRUE(json.ok()) << json.status();
  RawExec(path, absl::StrCat(R"sql(
    CREATE TABLE jobs (name TEXT PRIMARY KEY, parent TEXT NOT NULL, spec TEXT NOT NULL);
    CREATE INDEX jobs_by_parent ON jobs(parent, name);
    CREATE TABLE job_state (name TEXT PRIMARY KEY, schedule_time INTEGER, last_attempt_time INTEGER,
      status_code INTEGER, status_message TEXT, last_fired INTEGER) WITHOUT ROWID;
    CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, job_name TEXT NOT NULL,
      schedule_time INTEGER NOT NULL, attempt_time INTEGER NOT NULL, attempt INTEGER NOT NULL,
      code INTEGER NOT NULL, message TEXT NOT NULL);
    CREATE INDEX runs_by_job ON runs(job_name, id);
    CREATE TABLE pending_retries (job_name TEXT NOT NULL, schedule_time INTEGER NOT NULL,
      manual INTEGER NOT NULL, attempt INTEGER NOT NULL, due_time INTEGER NOT NULL,
      first_attempt_time INTEGER NOT NULL, dispatched_attempt INTEGER NOT NULL,
      PRIMARY KEY (job_name, schedule_time, manual));
    PRAGMA user_version = 1;
    INSERT INTO jobs VALUES (')sql", job.name(), "', '", kParent, "', '", json->dump(), R"sql(');
    INSERT INTO job_state (name) VALUES (')sql", job.name(), R"sql(');
    INSERT INTO runs (job_name, schedule_time, attempt_time, attempt, code, message) VALUES (')sql",
                             job.name(), "', ", absl::ToUnixMicros(kT0), ", ", absl::ToUnixMicros(kT0),
                             ", 0, 0, '');"));
  {
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<RunRecord>> runs = (*store)->ListRuns(job.name(), 10);
    ASSERT_TRUE(runs.ok()) << runs.status();
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ((*runs)[0].schedule_time, kT0);
    EXPECT_EQ((*runs)[0].message_id, "");
    EXPECT_FALSE((*runs)[0].manual);
    RunRecord manual{job.name(), kT0 + absl::Minutes(1), kT0 + absl::Minutes(1), 0, 0, ""};
    manual.message_id = kMessageId;
    manual.manual = true;
    ASSERT_TRUE((*store)->RecordAttempt(manual, absl::InfinitePast()).ok());
  }
  // Opened again: already at the current version, nothing to migrate; both rows read back.
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> again = SqliteJobStore::Open(path);
  ASSERT_TRUE(again.ok()) << again.status();
  absl::StatusOr<std::vector<RunRecord>> runs = (*again)->ListRuns(job.name(), 10);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].message_id, kMessageId);
  EXPECT_TRUE((*runs)[0].manual);
  EXPECT_EQ((*runs)[1].message_id, "");
  again->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// Returns the text in the first column of the first row `sql` gives on the database file at `path`.
std::string RawQueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string text;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return text;
}

// The spec column as every version of the store wrote it for MakeJob(id) (the proto3 JSON mapping of the
// job, through protobuf's printer): files written before stay readable, and a
// job is written the same way.
std::string SpecAsWritten(const std::string& id) {
  return absl::StrCat(R"({"name":"projects/p/locations/l/jobs/)", id,
                      R"(","pubsubTarget":{"topicName":"projects/p/topics/t","data":"ZA=="},)"
                      R"("userUpdateTime":"2023-11-14T22:13:20Z","state":"ENABLED",)"
                      R"("retryConfig":{"maxRetryDuration":"0s","minBackoffDuration":"5s",)"
                      R"("maxBackoffDuration":"3600s","maxDoublings":5},"schedule":"* * * * *",)"
                      R"("attemptDeadline":"180s"})");
}

TEST(SqliteJobStoreTest, SpecColumnKeepsItsFormat) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/store_spec_", getpid(), ".db");
  const Job expected = MakeJob("old");
  {
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Create(MakeJob("new")).ok());
  }
  EXPECT_EQ(RawQueryText(path, "SELECT spec FROM jobs WHERE name LIKE '%/new'"), SpecAsWritten("new"));
  RawExec(path, absl::StrCat("INSERT INTO jobs VALUES ('", expected.name(), "', '", kParent, "', '",
                             SpecAsWritten("old"), "'); INSERT INTO job_state (name) VALUES ('", expected.name(),
                             "');"));
  {
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<Job> got = (*store)->Get(expected.name());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, expected)) << got->ShortDebugString();
  }
  // A spec without the defaults reads with them.
  const std::string bare = absl::StrCat(kParent, "/jobs/bare");
  RawExec(path, absl::StrCat("INSERT INTO jobs VALUES ('", bare, "', '", kParent, R"(', '{"name":")", bare,
                             R"(","httpTarget":{"uri":"http://x/"},"schedule":"* * * * *"}'); )",
                             "INSERT INTO job_state (name) VALUES ('", bare, "');"));
  {
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<Job> got = (*store)->Get(bare);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->http_target().http_method(), google::cloud::scheduler::v1::POST);
    EXPECT_EQ(AttemptDeadlineOf(*got), kDefaultAttemptDeadline);
    EXPECT_TRUE(got->retry_config().has_max_doublings());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

TEST(SqliteJobStoreTest, NewerSchemaIsRefused) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/store_v9_", getpid(), ".db");
  RawExec(path, "PRAGMA user_version = 9;");
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), ::testing::HasSubstr("schema version 9 is newer"));
  EXPECT_THAT(std::string(store.status().message()), ::testing::HasSubstr(path));
  std::remove(path.c_str());
}

// MarkFired is committed on the firing path, so it never checkpoints the write-ahead log, however large
// the log grows; the other writes (here the attempt outcomes) do, and the log then starts over.
TEST(SqliteJobStoreTest, CheckpointsOffTheFiringPath) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/store_wal_", getpid(), ".db");
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> opened = SqliteJobStore::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteJobStore& store = **opened;
  const Job job = MakeJob("a");
  ASSERT_TRUE(store.Create(job).ok());
  for (int i = 0; i < 1500 && store.wal_pages() < 1100; ++i) {
    ASSERT_TRUE(store.MarkFired({{job.name(), kT0 + absl::Minutes(i), kT0 + absl::Minutes(i + 1)}}).ok());
  }
  EXPECT_GE(store.wal_pages(), 1100);  // past SQLite's default threshold of 1000: no checkpoint
  RunRecord record;
  record.job_name = job.name();
  record.schedule_time = kT0;
  record.attempt_time = kT0;
  ASSERT_TRUE(store.RecordAttempts({AttemptOutcome{record, kT0 + absl::Minutes(1)}}).ok());
  EXPECT_EQ(store.wal_pages(), 0);
  ASSERT_TRUE(store.RecordAttempts({AttemptOutcome{record, kT0 + absl::Minutes(1)}}).ok());
  EXPECT_LT(store.wal_pages(), 10);  // the checkpointed log was started over
  opened->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

TEST(SqliteJobStoreTest, OpenFailsWithPathInMessage) {
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open("/nonexistent/dir/x.db");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), ::testing::HasSubstr("/nonexistent/dir/x.db"));
}

}  // namespace
}  // namespace schedsvc::scheduler
