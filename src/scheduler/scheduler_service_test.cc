#include "src/scheduler/scheduler_service.h"

#include <memory>
#include <sstream>

#include <google/protobuf/util/message_differencer.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/store/sqlite_job_store.h"
#include "testing/fake_clock.h"
#include "testing/fake_executor.h"

namespace schedsvc::scheduler {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
constexpr char kParent[] = "projects/p/locations/us-central1";
constexpr char kName[] = "projects/p/locations/us-central1/jobs/j";

class CountingRunner final : public JobRunner {
 public:
  void Start(const Job&, absl::Time, std::function<void(AttemptReport)> done) override {
    ++starts;
    done(AttemptReport{absl::OkStatus()});
  }
  int starts = 0;
};

class SchedulerServiceTest : public ::testing::Test {
 protected:
  SchedulerServiceTest()
      : store_(*SqliteJobStore::Open(":memory:")),
        loop_(*store_, runner_, clock_, executor_, metrics_, logger_),
        service_(*store_, loop_, clock_, logger_) {}
  ~SchedulerServiceTest() override { loop_.Shutdown(absl::ZeroDuration()); }

  Job NewJob() {
    Job job;
    job.set_name(kName);
    job.set_schedule("*/10 * * * *");
    job.set_time_zone("Etc/UTC");
    job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
    job.mutable_pubsub_target()->set_data("hi");
    return job;
  }

  testing::FakeClock clock_{kT0};
  testing::FakeExecutor executor_{clock_};
  std::unique_ptr<SqliteJobStore> store_;
  CountingRunner runner_;
  SchedulerMetrics metrics_;
  std::ostringstream log_;
  JsonLogger logger_{log_, clock_};
  SchedulerLoop loop_;
  SchedulerService service_;
};

TEST_F(SchedulerServiceTest, CreateFillsOutputOnlyFields) {
  Job input = NewJob();
  input.set_state(Job::PAUSED);  // output only: ignored
  absl::StatusOr<Job> job = service_.CreateJob(kParent, input);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), Job::ENABLED);
  EXPECT_EQ(UserUpdateTimeOf(*job), kT0);
  EXPECT_EQ(ScheduleTimeOf(*job), absl::FromUnixSeconds(1'700'000'400));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*service_.GetJob(kName), *job));
  EXPECT_EQ(service_.CreateJob(kParent, NewJob()).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SchedulerServiceTest, CreateValidates) {
  Job bad = NewJob();
  bad.set_schedule("every blue moon");
  absl::Status s = service_.CreateJob(kParent, bad).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Schedule or time zone is invalid.");
  EXPECT_EQ(service_.CreateJob("projects/p", NewJob()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_.GetJob(kName).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_.GetJob(kName).status().message(), "Job not found.");
}

TEST_F(SchedulerServiceTest, PauseAndResumeCheckState) {
  ASSERT_TRUE(service_.CreateJob(kParent, NewJob()).ok());
  EXPECT_EQ(service_.ResumeJob(kName).status().code(), absl::StatusCode::kFailedPrecondition);
  clock_.AdvanceTime(absl::Seconds(5));
  absl::StatusOr<Job> paused = service_.PauseJob(kName);
  ASSERT_TRUE(paused.ok());
  EXPECT_EQ(paused->state(), Job::PAUSED);
  EXPECT_EQ(UserUpdateTimeOf(*paused), kT0 + absl::Seconds(5));
  EXPECT_EQ(service_.PauseJob(kName).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<Job> resumed = service_.ResumeJob(kName);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->state(), Job::ENABLED);
}

TEST_F(SchedulerServiceTest, UpdateValidatesAndKeepsOutputOnlyFields) {
  ASSERT_TRUE(service_.CreateJob(kParent, NewJob()).ok());
  clock_.AdvanceTime(absl::Seconds(7));
  absl::StatusOr<Job> updated = service_.UpdateJob(kName, [](const Job& current) -> absl::StatusOr<JobRequest> {
    Job j = current;
    j.set_schedule("0 * * * *");
    j.set_state(Job::DISABLED);
    return JobRequest{j};
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->schedule(), "0 * * * *");
  EXPECT_EQ(updated->state(), Job::ENABLED);
  EXPECT_EQ(UserUpdateTimeOf(*updated), kT0 + absl::Seconds(7));
  absl::Status bad = service_.UpdateJob(kName, [](const Job& current) -> absl::StatusOr<JobRequest> {
                               Job j = current;
                               j.set_time_zone("Nowhere/Land");
                               return JobRequest{j};
                             }).status();
  EXPECT_EQ(bad.message(), "Schedule or time zone is invalid.");
  EXPECT_EQ(service_.GetJob(kName)->schedule(), "0 * * * *");
}

TEST_F(SchedulerServiceTest, RunAndDelete) {
  ASSERT_TRUE(service_.CreateJob(kParent, NewJob()).ok());
  ASSERT_TRUE(service_.RunJob(kName).ok());
  EXPECT_EQ(runner_.starts, 1);
  ASSERT_TRUE(service_.DeleteJob(kName).ok());
  EXPECT_EQ(service_.DeleteJob(kName).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_.RunJob(kName).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SchedulerServiceTest, ListRejectsBadParent) {
  EXPECT_THAT(std::string(service_.ListJobs("projects/p/locations", 0, "").status().message()),
              HasSubstr("Parent must be formatted"));
}

}  // namespace
}  // namespace schedsvc::scheduler
