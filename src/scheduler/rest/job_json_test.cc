#include "src/scheduler/rest/job_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kJobName[] = "projects/p/locations/us-central1/jobs/j1";

Job FullHttpJob() {
  Job job;
  job.name = kJobName;
  job.description = "nightly";
  HttpTarget t;
  t.uri = "https://example.com/run";
  t.http_method = HttpMethod::kPut;
  t.headers = {{"X-A", "1"}, {"Content-Type", "application/json"}};
  t.body = std::string("{\"k\":\0}", 7);
  t.oidc_token = OidcToken{"sa@p.iam.gserviceaccount.com", "https://aud"};
  job.http_target = t;
  job.schedule = "*/5 * * * *";
  job.time_zone = "Europe/London";
  job.retry_config.retry_count = 3;
  job.retry_config.max_retry_duration = absl::Seconds(90);
  job.retry_config.min_backoff = absl::Milliseconds(1500);
  job.retry_config.max_backoff = absl::Seconds(300);
  job.retry_config.max_doublings = 2;
  job.attempt_deadline = absl::Minutes(10);
  job.user_update_time = absl::FromUnixMicros(1'700'000'000'123'456);
  job.state = JobState::kPaused;
  job.status = JobStatus{14, "unavailable"};
  job.schedule_time = absl::FromUnixSeconds(1'700'000'300);
  job.last_attempt_time = absl::FromUnixSeconds(1'700'000'000);
  return job;
}

TEST(JobJsonTest, HttpJobRoundTripsWithGoogleFieldNames) {
  const Job job = FullHttpJob();
  const json j = JobToJson(job);
  EXPECT_EQ(j["httpTarget"]["httpMethod"], "PUT");
  EXPECT_EQ(j["httpTarget"]["oidcToken"]["audience"], "https://aud");
  EXPECT_EQ(j["retryConfig"]["minBackoffDuration"], "1.500s");
  EXPECT_EQ(j["retryConfig"]["maxRetryDuration"], "90s");
  EXPECT_EQ(j["attemptDeadline"], "600s");
  EXPECT_EQ(j["state"], "PAUSED");
  EXPECT_EQ(j["status"]["code"], 14);
  EXPECT_EQ(j["userUpdateTime"], "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(j["scheduleTime"], "2023-11-14T22:18:20Z");
  absl::StatusOr<Job> back = JobFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, job);
}

TEST(JobJsonTest, PubsubJobRoundTripsBase64Data) {
  Job job;
  job.name = kJobName;
  job.schedule = "every 5 minutes";
  job.pubsub_target = PubsubTarget{"projects/p/topics/t", "hello", {{"a", "b"}}};
  const json j = JobToJson(job);
  EXPECT_EQ(j["pubsubTarget"]["data"], "aGVsbG8=");
  EXPECT_EQ(j["pubsubTarget"]["attributes"]["a"], "b");
  absl::StatusOr<Job> back = JobFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, job);
}

TEST(JobJsonTest, ParsesTheBodyGcloudSendsOnCreate) {
  const json body = json::parse(R"({
    "name": "projects/p/locations/us-central1/jobs/j1",
    "schedule": "0 9 * * 1", "timeZone": "Etc/UTC",
    "pubsubTarget": {"topicName": "projects/p/topics/t", "data": "aGk=", "attributes": {"k": "v"}},
    "retryConfig": {"retryCount": 0, "minBackoffDuration": "5s", "maxBackoffDuration": "3600s",
                    "maxDoublings": 5}})");
  absl::StatusOr<Job> job = JobFromJson(body);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->pubsub_target->data, "hi");
  EXPECT_EQ(job->retry_config.max_backoff, absl::Hours(1));
  EXPECT_EQ(job->attempt_deadline, kDefaultAttemptDeadline);
}

TEST(JobJsonTest, RejectsUnknownFieldsWrongTypesAndBadValues) {
  EXPECT_THAT(std::string(JobFromJson(json{{"nope", 1}}).status().message()), HasSubstr("nope"));
  EXPECT_EQ(JobFromJson(json{{"schedule", 5}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(JobFromJson(json{{"pubsubTarget", {{"data", "!!!"}}}}).status().message()),
              HasSubstr("pubsubTarget.data"));
  EXPECT_THAT(std::string(JobFromJson(json{{"attemptDeadline", "10m"}}).status().message()),
              HasSubstr("attemptDeadline"));
  EXPECT_THAT(std::string(JobFromJson(json{{"httpTarget", {{"httpMethod", "FETCH"}}}}).status().message()),
              HasSubstr("httpMethod"));
  EXPECT_EQ(JobFromJson(json{{"appEngineHttpTarget", json::object()}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace schedsvc::scheduler
