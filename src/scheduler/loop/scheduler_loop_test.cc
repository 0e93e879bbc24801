#include "src/scheduler/loop/scheduler_loop.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/store/sqlite_job_store.h"
#include "testing/fake_clock.h"
#include "testing/fake_executor.h"

namespace schedsvc::scheduler {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// 2023-11-14T22:13:20Z: the next minute boundary is 40 s away.
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const absl::Time kNextMinute = kT0 + absl::Seconds(40);

// Records each attempt; the test decides when and how it ends.
class FakeJobRunner final : public JobRunner {
 public:
  struct Call {
    std::string job;
    absl::Time schedule_time;
    std::function<void(AttemptReport)> done;
  };
  void Start(const Job& job, absl::Time schedule_time, std::function<void(AttemptReport)> done) override {
    calls.push_back({job.name(), schedule_time, std::move(done)});
  }
  // Reports attempt `i` with `status` and, for a publish, the message id it answered.
  void Finish(std::size_t i, absl::Status status, std::string message_id = "") {
    auto done = std::move(calls.at(i).done);
    done(AttemptReport{std::move(status), std::move(message_id)});
  }
  std::vector<Call> calls;
};

class SchedulerLoopTest : public ::testing::Test {
 protected:
  SchedulerLoopTest() {
    store_ = *SqliteJobStore::Open(":memory:");
    MakeLoop();
  }
  ~SchedulerLoopTest() override {
    loop_->Shutdown(absl::ZeroDuration());
    loop_.reset();
    store_.reset();
    if (!db_path_.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db_path_ + suffix).c_str());
    }
  }

  // Simulates a process restart on a database file: the loop stops (attempts in flight never report to
  // it), the store is closed and opened again, and a new loop is made (not started). The first call
  // moves the test onto a new temp file.
  void Restart() {
    loop_->Shutdown(absl::ZeroDuration());
    loop_.reset();
    runner_.calls.clear();  // their callbacks point at the stopped loop
    if (db_path_.empty()) {
      db_path_ = absl::StrCat(::testing::TempDir(), "/scheduler_loop_test_", getpid(), ".db");
      store_.reset();
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db_path_ + suffix).c_str());
    }
    store_.reset();
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    MakeLoop();
  }

  // Moves the test onto a database file before any job is created.
  void UseFileStore() {
    Restart();
    ASSERT_TRUE(loop_->Start().ok());
  }

  void MakeLoop(SchedulerLoopOptions options = {}) {
    if (loop_) loop_->Shutdown(absl::ZeroDuration());
    loop_ = std::make_unique<SchedulerLoop>(*store_, runner_, clock_, executor_, metrics_, logger_, options);
  }

  Job MakeJob(const std::string& id, const std::string& schedule = "* * * * *") {
    Job job;
    job.set_name(absl::StrCat("projects/p/locations/l/jobs/", id));
    job.set_schedule(schedule);
    job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
    job.mutable_pubsub_target()->set_data("d");
    job.set_state(Job::ENABLED);
    SetUserUpdateTime(job, clock_.Now());
    return job;
  }

  // Stores `job` and tells the loop, as the service does.
  Job Add(Job job) {
    EXPECT_TRUE(store_->Create(job).ok());
    SetScheduleTime(job, loop_->OnJobChanged(job));
    return job;
  }

  StoredJob Stored(const std::string& name) {
    absl::StatusOr<std::vector<StoredJob>> all = store_->LoadAll();
    if (!all.ok()) {
      ADD_FAILURE() << all.status();
      return {};
    }
    for (StoredJob& s : *all) {
      if (s.job.name() == name) return s;
    }
    ADD_FAILURE() << "no job " << name;
    return {};
  }

  testing::FakeClock clock_{kT0};
  testing::FakeExecutor executor_{clock_};
  std::unique_ptr<SqliteJobStore> store_;
  FakeJobRunner runner_;
  SchedulerMetrics metrics_;
  std::ostringstream log_;
  JsonLogger logger_{log_, clock_};
  std::unique_ptr<SchedulerLoop> loop_;
  std::string db_path_;
};

// A job whose failed attempts are retried after 10, 20, 40 ... s.
Job WithRetries(Job job, int retry_count) {
  job.mutable_retry_config()->set_retry_count(retry_count);
  *job.mutable_retry_config()->mutable_min_backoff_duration() = ToDuration(absl::Seconds(10));
  *job.mutable_retry_config()->mutable_max_backoff_duration() = ToDuration(absl::Hours(1));
  job.mutable_retry_config()->set_max_doublings(5);
  return job;
}

TEST_F(SchedulerLoopTest, FiresAtTheMinuteAndRecordsBeforeDispatch) {
  Job job = Add(MakeJob("a"));
  EXPECT_EQ(ScheduleTimeOf(job), kNextMinute);
  EXPECT_EQ(ScheduleTimeOf(Stored(job.name()).job), kNextMinute);
  executor_.AdvanceTime(absl::Seconds(39));
  EXPECT_THAT(runner_.calls, SizeIs(0));
  executor_.AdvanceTime(absl::Seconds(1));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  EXPECT_EQ(runner_.calls[0].schedule_time, kNextMinute);
  // Recorded as fired before the attempt finished.
  EXPECT_EQ(Stored(job.name()).last_fired_schedule_time, kNextMinute);
  EXPECT_EQ(ScheduleTimeOf(Stored(job.name()).job), kNextMinute + absl::Minutes(1));
  runner_.Finish(0, absl::OkStatus());
  // The outcome is written by the loop's flush task on the executor.
  EXPECT_FALSE(Stored(job.name()).job.has_status());
  executor_.AdvanceTime(absl::ZeroDuration());
  StoredJob s = Stored(job.name());
  ASSERT_TRUE(s.job.has_status());
  EXPECT_EQ(s.job.status().code(), 0);
  EXPECT_EQ(LastAttemptTimeOf(s.job), kNextMinute);
  EXPECT_THAT(metrics_.Serialize(), HasSubstr("result=\"success\""));
}

// History carries the message id a successful publish answered (never a failed attempt's) and whether
// the run was manual.
TEST_F(SchedulerLoopTest, HistoryKeepsMessageIdOfSuccessfulPublishAndManualFlag) {
  constexpr char kScheduledId[] = "1001";
  constexpr char kManualId[] = "1002";
  constexpr char kIgnoredId[] = "9999";
  Job job = Add(MakeJob("a"));
  executor_.AdvanceTime(absl::Seconds(40));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  runner_.Finish(0, absl::OkStatus(), kScheduledId);
  loop_->RunNow(job);
  ASSERT_THAT(runner_.calls, SizeIs(2));
  runner_.Finish(1, absl::OkStatus(), kManualId);
  loop_->RunNow(job);
  ASSERT_THAT(runner_.calls, SizeIs(3));
  runner_.Finish(2, absl::UnavailableError("publish failed"), kIgnoredId);
  executor_.RunReady();
  absl::StatusOr<std::vector<RunRecord>> runs = store_->ListRuns(job.name(), 10);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_THAT(*runs, SizeIs(3));
  EXPECT_EQ((*runs)[0].message_id, "");
  EXPECT_TRUE((*runs)[0].manual);
  EXPECT_EQ((*runs)[0].code, static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ((*runs)[1].message_id, kManualId);
  EXPECT_TRUE((*runs)[1].manual);
  EXPECT_EQ((*runs)[2].message_id, kScheduledId);
  EXPECT_FALSE((*runs)[2].manual);
  EXPECT_EQ((*runs)[2].schedule_time, kNextMinute);
}

TEST_F(SchedulerLoopTest, OneTimerForManyJobs) {
  constexpr int kJobs = 50;
  for (int i = 0; i < kJobs; ++i) Add(MakeJob(absl::StrCat("j", i)));
  EXPECT_EQ(executor_.pending(), 1u);
  EXPECT_EQ(executor_.next_deadline(), kNextMinute);
  executor_.AdvanceTime(absl::Seconds(40));
  EXPECT_THAT(runner_.calls, SizeIs(kJobs));
  for (std::size_t i = 0; i < runner_.calls.size(); ++i) runner_.Finish(i, absl::OkStatus());
  // All outcomes wait for one flush task (besides the next-minute timer), which writes them together.
  EXPECT_EQ(executor_.pending(), 2u);
  executor_.AdvanceTime(absl::ZeroDuration());
  EXPECT_EQ(executor_.pending(), 1u);
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_TRUE(Stored(absl::StrCat("projects/p/locations/l/jobs/j", i)).job.has_status());
  }
}

TEST_F(SchedulerLoopTest, LargeBurstIsDispatchedInPassesEachRecordedBeforeItsDispatch) {
  // More than one pass's worth (kMaxRunsPerPass = 500) of runs due at the same instant.
  constexpr int kJobs = 1'200;
  for (int i = 0; i < kJobs; ++i) Add(MakeJob(absl::StrCat("j", i)));
  executor_.AdvanceTime(absl::Seconds(40));
  ASSERT_THAT(runner_.calls, SizeIs(kJobs));
  absl::StatusOr<std::vector<StoredJob>> all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  for (const StoredJob& s : *all) EXPECT_EQ(s.last_fired_schedule_time, kNextMinute) << s.job.name();
  for (const FakeJobRunner::Call& call : runner_.calls) EXPECT_EQ(call.schedule_time, kNextMinute);
  for (std::size_t i = 0; i < runner_.calls.size(); ++i) runner_.Finish(i, absl::OkStatus());
  executor_.RunReady();
  EXPECT_EQ(loop_->in_flight(), 0);
}

TEST_F(SchedulerLoopTest, RetriesFollowRetryConfigWithTheSameScheduleTime) {
  Job job = MakeJob("a", "0 * * * *");
  job.mutable_retry_config()->set_retry_count(2);
  *job.mutable_retry_config()->mutable_min_backoff_duration() = ToDuration(absl::Seconds(10));
  *job.mutable_retry_config()->mutable_max_backoff_duration() = ToDuration(absl::Seconds(100));
  job.mutable_retry_config()->set_max_doublings(1);
  job = Add(job);
  executor_.AdvanceTime(ScheduleTimeOf(job) - clock_.Now());
  ASSERT_THAT(runner_.calls, SizeIs(1));
  const absl::Time run_time = runner_.calls[0].schedule_time;
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.AdvanceTime(absl::ZeroDuration());
  EXPECT_EQ(ScheduleTimeOf(Stored(job.name()).job), clock_.Now() + absl::Seconds(10));
  executor_.AdvanceTime(absl::Seconds(9));
  EXPECT_THAT(runner_.calls, SizeIs(1));
  executor_.AdvanceTime(absl::Seconds(1));
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, run_time);
  runner_.Finish(1, absl::UnavailableError("503"));
  executor_.AdvanceTime(absl::Seconds(19));
  EXPECT_THAT(runner_.calls, SizeIs(2));
  executor_.AdvanceTime(absl::Seconds(1));
  ASSERT_THAT(runner_.calls, SizeIs(3));
  EXPECT_EQ(runner_.calls[2].schedule_time, run_time);
  runner_.Finish(2, absl::UnavailableError("503"));
  // retryCount exhausted: nothing until the next hour.
  executor_.AdvanceTime(absl::Minutes(30));
  EXPECT_THAT(runner_.calls, SizeIs(3));
  absl::StatusOr<std::vector<RunRecord>> runs = store_->ListRuns(job.name(), 10);
  ASSERT_THAT(*runs, SizeIs(3));
  EXPECT_EQ((*runs)[0].attempt, 2);
  EXPECT_EQ(Stored(job.name()).job.status().code(), static_cast<int>(absl::StatusCode::kUnavailable));
  const std::string metrics = metrics_.Serialize();
  EXPECT_THAT(metrics, HasSubstr("result=\"retry\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("result=\"failure\"} 1"));
}

TEST_F(SchedulerLoopTest, RunsNeverOverlapAndOnlyTheLatestPassedTimeFiresAfter) {
  Job job = Add(MakeJob("a"));
  executor_.AdvanceTime(absl::Seconds(40));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  executor_.AdvanceTime(absl::Minutes(3) + absl::Seconds(5));
  EXPECT_THAT(runner_.calls, SizeIs(1));
  runner_.Finish(0, absl::OkStatus());
  executor_.RunReady();
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, kNextMinute + absl::Minutes(3));
  runner_.Finish(1, absl::OkStatus());
}

TEST_F(SchedulerLoopTest, LatestMissedRunFiresOnceAtStart) {
  Job job = MakeJob("a");
  SetUserUpdateTime(job, kT0 - absl::Hours(2));
  ASSERT_TRUE(store_->Create(job).ok());
  ASSERT_TRUE(store_->MarkFired({{job.name(), kT0 - absl::Hours(1), absl::InfinitePast()}}).ok());
  ASSERT_TRUE(loop_->Start().ok());
  executor_.RunReady();
  ASSERT_THAT(runner_.calls, SizeIs(1));
  EXPECT_EQ(runner_.calls[0].schedule_time, kT0 - absl::Seconds(20));
  runner_.Finish(0, absl::OkStatus());
  executor_.AdvanceTime(absl::Seconds(40));
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, kNextMinute);
  runner_.Finish(1, absl::OkStatus());
}

TEST_F(SchedulerLoopTest, SkipPolicyDropsMissedRuns) {
  SchedulerLoopOptions options;
  options.missed_run_policy = MissedRunPolicy::kSkip;
  MakeLoop(options);
  Job job = MakeJob("a");
  SetUserUpdateTime(job, kT0 - absl::Hours(2));
  ASSERT_TRUE(store_->Create(job).ok());
  ASSERT_TRUE(loop_->Start().ok());
  executor_.RunReady();
  EXPECT_THAT(runner_.calls, SizeIs(0));
  EXPECT_EQ(ScheduleTimeOf(Stored(job.name()).job), kNextMinute);
  executor_.AdvanceTime(absl::Seconds(40));
  EXPECT_THAT(runner_.calls, SizeIs(1));
  runner_.Finish(0, absl::OkStatus());
}

TEST_F(SchedulerLoopTest, RestartNeverFiresTheSameScheduleTimeTwice) {
  Job job = Add(MakeJob("a"));
  executor_.AdvanceTime(absl::Seconds(45));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  // The process dies before the attempt reports; a new loop starts on the same database.
  MakeLoop();
  ASSERT_TRUE(loop_->Start().ok());
  executor_.RunReady();
  EXPECT_THAT(runner_.calls, SizeIs(1));
  executor_.AdvanceTime(absl::Seconds(55));
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, kNextMinute + absl::Minutes(1));
  runner_.Finish(1, absl::OkStatus());
}

TEST_F(SchedulerLoopTest, PausedJobDoesNotFireAndResumeDoesNotCatchUp) {
  Job job = Add(MakeJob("a"));
  job.set_state(Job::PAUSED);
  EXPECT_EQ(loop_->OnJobChanged(job), absl::InfinitePast());
  executor_.AdvanceTime(absl::Minutes(5));
  EXPECT_THAT(runner_.calls, SizeIs(0));
  job.set_state(Job::ENABLED);
  const absl::Time next = loop_->OnJobChanged(job);
  executor_.RunReady();
  EXPECT_THAT(runner_.calls, SizeIs(0));
  executor_.AdvanceTime(next - clock_.Now());
  ASSERT_THAT(runner_.calls, SizeIs(1));
  runner_.Finish(0, absl::OkStatus());
}

TEST_F(SchedulerLoopTest, RunNowDispatchesAtOnceEvenWhileARunIsOutstanding) {
  Job job = Add(MakeJob("a"));
  executor_.AdvanceTime(absl::Seconds(40));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  loop_->RunNow(job);
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, clock_.Now());
  runner_.Finish(1, absl::OkStatus());
  runner_.Finish(0, absl::OkStatus());
  executor_.RunReady();
  EXPECT_EQ(loop_->in_flight(), 0);
}

TEST_F(SchedulerLoopTest, DeletedJobDropsPendingRetries) {
  Job job = MakeJob("a");
  job.mutable_retry_config()->set_retry_count(5);
  job = Add(job);
  executor_.AdvanceTime(absl::Seconds(40));
  runner_.Finish(0, absl::UnavailableError("503"));
  ASSERT_TRUE(store_->Delete(job.name()).ok());
  loop_->OnJobDeleted(job.name());
  executor_.AdvanceTime(absl::Minutes(10));
  EXPECT_THAT(runner_.calls, SizeIs(1));
}

TEST_F(SchedulerLoopTest, PendingRetryResumesAfterRestartWithTheSameRun) {
  UseFileStore();
  Job job = Add(WithRetries(MakeJob("a", "0 * * * *"), 2));
  executor_.AdvanceTime(ScheduleTimeOf(job) - clock_.Now());
  ASSERT_THAT(runner_.calls, SizeIs(1));
  const absl::Time run_time = runner_.calls[0].schedule_time;
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.RunReady();  // the outcome flush stores the retry
  // Down for 5 s; the retry was due 10 s after the failure.
  Restart();
  clock_.AdvanceTime(absl::Seconds(5));
  ASSERT_TRUE(loop_->Start().ok());
  EXPECT_EQ(ScheduleTimeOf(Stored(job.name()).job), run_time + absl::Seconds(10));
  executor_.AdvanceTime(absl::Seconds(4));
  EXPECT_THAT(runner_.calls, SizeIs(0));
  executor_.AdvanceTime(absl::Seconds(1));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  EXPECT_EQ(runner_.calls[0].schedule_time, run_time);
  // It is retry 1: retryCount 2 leaves one more, 20 s later.
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.AdvanceTime(absl::Seconds(20));
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, run_time);
  runner_.Finish(1, absl::UnavailableError("503"));
  executor_.AdvanceTime(absl::Minutes(30));
  EXPECT_THAT(runner_.calls, SizeIs(2));
  absl::StatusOr<std::vector<RunRecord>> runs = store_->ListRuns(job.name(), 10);
  ASSERT_THAT(*runs, SizeIs(3));
  EXPECT_EQ((*runs)[0].attempt, 2);
  EXPECT_EQ((*runs)[1].attempt, 1);
  EXPECT_TRUE(store_->LoadPendingRetries()->empty());
}

TEST_F(SchedulerLoopTest, RetryDueDuringDowntimeFiresAtStartAndFireTimesWaitForIt) {
  UseFileStore();
  Job job = Add(WithRetries(MakeJob("a"), 3));
  executor_.AdvanceTime(absl::Seconds(40));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.RunReady();
  // Down for 3 minutes: the retry (due after 10 s) and three fire times passed.
  Restart();
  clock_.AdvanceTime(absl::Minutes(3));
  ASSERT_TRUE(loop_->Start().ok());
  executor_.RunReady();
  // Only the retry runs: the run is still outstanding, so the missed fire time waits (no overlap).
  ASSERT_THAT(runner_.calls, SizeIs(1));
  EXPECT_EQ(runner_.calls[0].schedule_time, kNextMinute);
  runner_.Finish(0, absl::OkStatus());
  executor_.RunReady();
  // The run ended: the latest fire time that passed meanwhile fires, once.
  ASSERT_THAT(runner_.calls, SizeIs(2));
  EXPECT_EQ(runner_.calls[1].schedule_time, kNextMinute + absl::Minutes(3));
  runner_.Finish(1, absl::OkStatus());
  executor_.RunReady();
  EXPECT_THAT(runner_.calls, SizeIs(2));
}

TEST_F(SchedulerLoopTest, RetryPastMaxRetryDurationIsDroppedAtStart) {
  UseFileStore();
  Job job = MakeJob("a", "0 * * * *");
  *job.mutable_retry_config()->mutable_max_retry_duration() = ToDuration(absl::Minutes(1));
  *job.mutable_retry_config()->mutable_min_backoff_duration() = ToDuration(absl::Seconds(10));
  job = Add(job);
  executor_.AdvanceTime(ScheduleTimeOf(job) - clock_.Now());
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.RunReady();
  ASSERT_EQ(store_->LoadPendingRetries()->size(), 1u);
  // Down for 5 minutes: the run's 1-minute retry budget is spent.
  Restart();
  clock_.AdvanceTime(absl::Minutes(5));
  ASSERT_TRUE(loop_->Start().ok());
  executor_.AdvanceTime(absl::Minutes(10));
  EXPECT_THAT(runner_.calls, SizeIs(0));
  EXPECT_TRUE(store_->LoadPendingRetries()->empty());
  EXPECT_EQ(ScheduleTimeOf(Stored(job.name()).job), ScheduleTimeOf(job) + absl::Hours(1));
}

TEST_F(SchedulerLoopTest, RetryInFlightAtCrashIsNotSentAgain) {
  UseFileStore();
  Job job = Add(WithRetries(MakeJob("a", "0 * * * *"), 5));
  executor_.AdvanceTime(ScheduleTimeOf(job) - clock_.Now());
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.AdvanceTime(absl::Seconds(10));
  ASSERT_THAT(runner_.calls, SizeIs(2));
  // The process dies while retry 1 is in flight: it was settled before it was sent.
  Restart();
  ASSERT_TRUE(loop_->Start().ok());
  executor_.AdvanceTime(absl::Minutes(30));
  EXPECT_THAT(runner_.calls, SizeIs(0));
}

TEST_F(SchedulerLoopTest, FailureReportedDuringShutdownStoresItsRetry) {
  UseFileStore();
  Job job = Add(WithRetries(MakeJob("a", "0 * * * *"), 1));
  executor_.AdvanceTime(ScheduleTimeOf(job) - clock_.Now());
  ASSERT_THAT(runner_.calls, SizeIs(1));
  const absl::Time run_time = runner_.calls[0].schedule_time;
  // Shutdown waits for the attempt in flight; it fails meanwhile (here: just after the wait).
  loop_->Shutdown(absl::ZeroDuration());
  runner_.Finish(0, absl::UnavailableError("503"));
  executor_.RunReady();
  EXPECT_THAT(runner_.calls, SizeIs(1));
  ASSERT_EQ(store_->LoadPendingRetries()->size(), 1u);
  Restart();
  ASSERT_TRUE(loop_->Start().ok());
  executor_.AdvanceTime(absl::Seconds(10));
  ASSERT_THAT(runner_.calls, SizeIs(1));
  EXPECT_EQ(runner_.calls[0].schedule_time, run_time);
  runner_.Finish(0, absl::OkStatus());
}

TEST_F(SchedulerLoopTest, JobGaugesFollowStates) {
  Job a = Add(MakeJob("a"));
  Add(MakeJob("b"));
  a.set_state(Job::PAUSED);
  loop_->OnJobChanged(a);
  const std::string metrics = metrics_.Serialize();
  EXPECT_THAT(metrics, HasSubstr("scheduler_jobs{state=\"ENABLED\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("scheduler_jobs{state=\"PAUSED\"} 1"));
}

}  // namespace
}  // namespace schedsvc::scheduler
