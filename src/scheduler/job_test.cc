#include "src/scheduler/job.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

using ::testing::HasSubstr;

constexpr char kParent[] = "projects/p/locations/us-central1";

Job ValidPubsubJob() {
  Job job;
  job.name = std::string(kParent) + "/jobs/job_1-a";
  job.schedule = "0 9 * * MON-FRI";
  job.time_zone = "America/New_York";
  job.pubsub_target = PubsubTarget{"projects/p/topics/t", "x", {}};
  return job;
}

std::string Message(const Job& job) { return std::string(ValidateJob(job, kParent).message()); }

TEST(JobTest, ParsesJobNames) {
  absl::StatusOr<JobName> n = ParseJobName("projects/p/locations/l/jobs/j");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->Parent(), "projects/p/locations/l");
  EXPECT_EQ(n->job_id, "j");
  EXPECT_FALSE(ParseJobName("projects/p/locations/l/jobs/bad.id").ok());
  EXPECT_FALSE(ParseJobName("projects/p/jobs/j").ok());
  EXPECT_FALSE(ParseJobName("projects/p/locations/l/jobs/" + std::string(501, 'a')).ok());
}

TEST(JobTest, AcceptsAValidJob) { EXPECT_TRUE(ValidateJob(ValidPubsubJob(), kParent).ok()); }

TEST(JobTest, BadScheduleOrZoneGetsGooglesMessage) {
  Job job = ValidPubsubJob();
  job.schedule = "61 * * * *";
  EXPECT_EQ(Message(job), "Schedule or time zone is invalid.");
  job = ValidPubsubJob();
  job.time_zone = "Mars/Base";
  EXPECT_EQ(Message(job), "Schedule or time zone is invalid.");
}

TEST(JobTest, RejectsTargetProblems) {
  Job job = ValidPubsubJob();
  job.pubsub_target->data.clear();
  EXPECT_THAT(Message(job), HasSubstr("data or at least one attribute"));
  job = ValidPubsubJob();
  job.pubsub_target->topic_name = "projects/other/topics/t";
  EXPECT_THAT(Message(job), HasSubstr("job's project"));
  job = ValidPubsubJob();
  job.http_target = HttpTarget{};
  EXPECT_THAT(Message(job), HasSubstr("exactly one target"));
  job = ValidPubsubJob();
  job.pubsub_target.reset();
  job.http_target = HttpTarget{};
  job.http_target->uri = "ftp://x";
  EXPECT_THAT(Message(job), HasSubstr("http:// or https://"));
  job.http_target->uri = "http://x/";
  job.http_target->http_method = HttpMethod::kGet;
  job.http_target->body = "b";
  EXPECT_THAT(Message(job), HasSubstr("POST, PUT and PATCH"));
  job.http_target->body.clear();
  job.attempt_deadline = absl::Seconds(5);
  EXPECT_THAT(Message(job), HasSubstr("attemptDeadline"));
}

TEST(JobTest, RejectsJobOutsideParent) {
  Job job = ValidPubsubJob();
  EXPECT_THAT(std::string(ValidateJob(job, "projects/p/locations/europe-west1").message()),
              HasSubstr("is not under"));
}

TEST(JobTest, RejectsInvalidRetryConfig) {
  Job job = ValidPubsubJob();
  job.retry_config.retry_count = 9;
  EXPECT_EQ(ValidateJob(job, kParent).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace schedsvc::scheduler
