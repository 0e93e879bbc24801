#include "src/scheduler/job.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kParent[] = "projects/p/locations/us-central1";

Job ValidPubsubJob() {
  Job job;
  job.set_name(std::string(kParent) + "/jobs/job_1-a");
  job.set_schedule("0 9 * * MON-FRI");
  job.set_time_zone("America/New_York");
  job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
  job.mutable_pubsub_target()->set_data("x");
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
  job.set_schedule("61 * * * *");
  EXPECT_EQ(Message(job), "Schedule or time zone is invalid.");
  job = ValidPubsubJob();
  job.set_time_zone("Mars/Base");
  EXPECT_EQ(Message(job), "Schedule or time zone is invalid.");
}

TEST(JobTest, RejectsTargetProblems) {
  Job job = ValidPubsubJob();
  job.mutable_pubsub_target()->clear_data();
  EXPECT_THAT(Message(job), HasSubstr("data or at least one attribute"));
  job = ValidPubsubJob();
  job.mutable_pubsub_target()->set_topic_name("projects/other/topics/t");
  EXPECT_THAT(Message(job), HasSubstr("job's project"));
  JobRequest both(ValidPubsubJob());
  both.second_http_target = v1::HttpTarget{};
  EXPECT_THAT(std::string(ValidateJob(both, kParent).message()), HasSubstr("exactly one target"));
  job = ValidPubsubJob();
  job.mutable_http_target()->set_http_method(v1::POST);
  job.mutable_http_target()->set_uri("ftp://x");
  EXPECT_THAT(Message(job), HasSubstr("http:// or https://"));
  job.mutable_http_target()->set_uri("http://x/");
  job.mutable_http_target()->set_http_method(v1::GET);
  job.mutable_http_target()->set_body("b");
  EXPECT_THAT(Message(job), HasSubstr("POST, PUT and PATCH"));
  job.mutable_http_target()->clear_body();
  *job.mutable_attempt_deadline() = ToDuration(absl::Seconds(5));
  EXPECT_THAT(Message(job), HasSubstr("attemptDeadline"));
}

Job ValidHttpJob() {
  Job job = ValidPubsubJob();
  job.mutable_http_target()->set_uri("http://backend.example/run");
  job.mutable_http_target()->set_http_method(v1::POST);
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
    (*job.mutable_http_target()->mutable_headers())[name] = value;
    const absl::Status s = ValidateJob(job, kParent);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << absl::CHexEscape(name);
    EXPECT_THAT(std::string(s.message()), HasSubstr("HttpTarget.headers"));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kSecretValue)));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\n")));
  }
  Job job = ValidHttpJob();
  (*job.mutable_http_target()->mutable_headers())["X-A"] = "v\r\nX-Injected: 1";
  EXPECT_THAT(Message(job), HasSubstr("\"X-A\""));
  // Tabs, spaces and non-ASCII bytes are allowed in values; every tchar in names.
  job.mutable_http_target()->clear_headers();
  (*job.mutable_http_target()->mutable_headers())["X-Ok!#$%&'*+-.^_`|~1"] = "a\tb c \xc3\xa9";
  EXPECT_TRUE(ValidateJob(job, kParent).ok());
}

TEST(JobTest, RefusesUriWithWhitespaceOrControlCharacters) {
  Job job = ValidHttpJob();
  job.mutable_http_target()->set_uri("http://backend.example/run\r\nX-Injected: 1");
  EXPECT_THAT(Message(job), HasSubstr("HttpTarget.uri"));
  job.mutable_http_target()->set_uri("http://backend.example/a b");
  EXPECT_THAT(Message(job), HasSubstr("HttpTarget.uri"));
}

TEST(JobTest, RefusesJobsLargerThanOneMebibyte) {
  constexpr std::size_t kOneMebibyte = 1024 * 1024;
  Job job = ValidHttpJob();
  job.mutable_http_target()->set_body(std::string(kOneMebibyte / 2, 'b'));
  EXPECT_TRUE(ValidateJob(job, kParent).ok());
  job.mutable_http_target()->set_body(std::string(kOneMebibyte + 1, 'b'));
  EXPECT_EQ(ValidateJob(job, kParent).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(job), HasSubstr("1 MiB"));
  job = ValidPubsubJob();
  job.mutable_pubsub_target()->set_data(std::string(kOneMebibyte, 'd'));
  EXPECT_THAT(Message(job), HasSubstr("1 MiB"));
  job = ValidPubsubJob();
  (*job.mutable_pubsub_target()->mutable_attributes())["k"] = std::string(kOneMebibyte, 'v');
  EXPECT_THAT(Message(job), HasSubstr("1 MiB"));
}

TEST(JobTest, RejectsJobOutsideParent) {
  Job job = ValidPubsubJob();
  EXPECT_THAT(std::string(ValidateJob(job, "projects/p/locations/europe-west1").message()),
              HasSubstr("is not under"));
}

TEST(JobTest, RejectsInvalidRetryConfig) {
  Job job = ValidPubsubJob();
  job.mutable_retry_config()->set_retry_count(9);
  EXPECT_EQ(ValidateJob(job, kParent).code(), absl::StatusCode::kInvalidArgument);
}

TEST(JobProtoTest, UnsetProtoFieldsTakeTheRestDefaults) {
  Job job;
  job.set_name("projects/p/locations/l/jobs/j");
  job.set_schedule("* * * * *");
  job.mutable_http_target()->set_uri("http://127.0.0.1/");
  FillJobDefaults(job);
  EXPECT_EQ(AttemptDeadlineOf(job), kDefaultAttemptDeadline);
  EXPECT_EQ(FromDuration(job.retry_config().min_backoff_duration()), RetryPolicy{}.min_backoff);
  EXPECT_EQ(FromDuration(job.retry_config().max_backoff_duration()), RetryPolicy{}.max_backoff);
  EXPECT_EQ(job.retry_config().max_doublings(), RetryPolicy{}.max_doublings);
  EXPECT_EQ(job.http_target().http_method(), v1::POST);
  EXPECT_EQ(job.state(), Job::STATE_UNSPECIFIED);
  EXPECT_FALSE(job.has_status());
  EXPECT_EQ(UserUpdateTimeOf(job), absl::InfinitePast());
  // A set zero is kept: maxDoublings has presence.
  job.mutable_retry_config()->set_max_doublings(0);
  FillJobDefaults(job);
  EXPECT_EQ(RetryPolicyOf(job).max_doublings, 0);
}

TEST(JobProtoTest, AppEngineTargetIsRejectedLikeRest) {
  Job job;
  job.set_name("projects/p/locations/l/jobs/j");
  job.mutable_app_engine_http_target()->set_relative_uri("/x");
  absl::Status s = CheckJobProto(job);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("appEngineHttpTarget is not supported"));
}

TEST(JobProtoTest, UnknownEnumNumberIsInvalidArgument) {
  Job job;
  job.mutable_http_target()->set_uri("http://127.0.0.1/");
  job.mutable_http_target()->set_http_method(static_cast<v1::HttpMethod>(42));
  EXPECT_EQ(CheckJobProto(job).code(), absl::StatusCode::kInvalidArgument);
}

TEST(JobProtoTest, FieldNumbersMatchThePublicApi) {
  // Wire compatibility with the official client libraries rests on these numbers.
  const auto* job = v1::Job::descriptor();
  EXPECT_EQ(job->FindFieldByName("name")->number(), 1);
  EXPECT_EQ(job->FindFieldByName("description")->number(), 2);
  EXPECT_EQ(job->FindFieldByName("pubsub_target")->number(), 4);
  EXPECT_EQ(job->FindFieldByName("app_engine_http_target")->number(), 5);
  EXPECT_EQ(job->FindFieldByName("http_target")->number(), 6);
  EXPECT_EQ(job->FindFieldByName("user_update_time")->number(), 9);
  EXPECT_EQ(job->FindFieldByName("state")->number(), 10);
  EXPECT_EQ(job->FindFieldByName("status")->number(), 11);
  EXPECT_EQ(job->FindFieldByName("schedule_time")->number(), 17);
  EXPECT_EQ(job->FindFieldByName("last_attempt_time")->number(), 18);
  EXPECT_EQ(job->FindFieldByName("retry_config")->number(), 19);
  EXPECT_EQ(job->FindFieldByName("schedule")->number(), 20);
  EXPECT_EQ(job->FindFieldByName("time_zone")->number(), 21);
  EXPECT_EQ(job->FindFieldByName("attempt_deadline")->number(), 22);
  const auto* pubsub = v1::PubsubTarget::descriptor();
  EXPECT_EQ(pubsub->FindFieldByName("topic_name")->number(), 1);
  EXPECT_EQ(pubsub->FindFieldByName("data")->number(), 3);
  EXPECT_EQ(pubsub->FindFieldByName("attributes")->number(), 4);
  const auto* http = v1::HttpTarget::descriptor();
  EXPECT_EQ(http->FindFieldByName("oauth_token")->number(), 5);
  EXPECT_EQ(http->FindFieldByName("oidc_token")->number(), 6);
  EXPECT_EQ(v1::Job::descriptor()->full_name(), "google.cloud.scheduler.v1.Job");
}

}  // namespace
}  // namespace schedsvc::scheduler
