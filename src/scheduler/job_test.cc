#include "src/scheduler/job.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

Job ValidHttpJob() {
  Job job = ValidPubsubJob();
  job.pubsub_target.reset();
  job.http_target = HttpTarget{};
  job.http_target->uri = "http://backend.example/run";
  return job;
}

TEST(JobTest, RefusesHeadersThatCouldSplitARequest) {
  constexpr char kSecretValue[] = "s3cret";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"X-A", std::string("v\r\nX-Injected: ") + kSecretValue},
      {"X-A", std::string("v\nX-Injected: ") + kSecretValue},
      {"X-A", std::string("v\r") + kSecretValue},
      {"X-A", std::string("v\0", 2) + kSecretValue},
      {"X-A\r\nX-Injected", kSecretValue},
      {"X A", kSecretValue},
      {"X-A:", kSecretValue},
      {"", kSecretValue},
  };
  for (const auto& [name, value] : bad) {
    Job job = ValidHttpJob();
    job.http_target->headers = {{name, value}};
    const absl::Status s = ValidateJob(job, kParent);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << absl::CHexEscape(name);
    EXPECT_THAT(std::string(s.message()), HasSubstr("HttpTarget.headers"));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kSecretValue)));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\n")));
  }
  Job job = ValidHttpJob();
  job.http_target->headers = {{"X-A", "v\r\nX-Injected: 1"}};
  EXPECT_THAT(Message(job), HasSubstr("\"X-A\""));
  // Tabs, spaces and non-ASCII bytes are allowed in values; every tchar in names.
  job.http_target->headers = {{"X-Ok!#$%&'*+-.^_`|~1", "a\tb c \xc3\xa9"}};
  EXPECT_TRUE(ValidateJob(job, kParent).ok());
}

TEST(JobTest, RefusesUriWithWhitespaceOrControlCharacters) {
  Job job = ValidHttpJob();
  job.http_target->uri = "http://backend.example/run\r\nX-Injected: 1";
  EXPECT_THAT(Message(job), HasSubstr("HttpTarget.uri"));
  job.http_target->uri = "http://backend.example/a b";
  EXPECT_THAT(Message(job), HasSubstr("HttpTarget.uri"));
}

TEST(JobTest, RefusesJobsLargerThanOneMebibyte) {
  constexpr std::size_t kOneMebibyte = 1024 * 1024;
  Job job = ValidHttpJob();
  job.http_target->body = std::string(kOneMebibyte / 2, 'b');
  EXPECT_TRUE(ValidateJob(job, kParent).ok());
  job.http_target->body = std::string(kOneMebibyte + 1, 'b');
  EXPECT_EQ(ValidateJob(job, kParent).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(job), HasSubstr("1 MiB"));
  job = ValidPubsubJob();
  job.pubsub_target->data = std::string(kOneMebibyte, 'd');
  EXPECT_THAT(Message(job), HasSubstr("1 MiB"));
  job = ValidPubsubJob();
  job.pubsub_target->attributes = {{"k", std::string(kOneMebibyte, 'v')}};
  EXPECT_THAT(Message(job), HasSubstr("1 MiB"));
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
