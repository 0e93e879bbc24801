#include "src/scheduler/rest/job_json.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kJobName[] = "projects/p/locations/us-central1/jobs/j1";
// A refused value this large must not come back in the error, nor any part of it.
constexpr std::size_t kEchoProbeBytes = 64 * 1024;
constexpr std::size_t kMaxErrorBytes = 512;

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
  const absl::StatusOr<json> out = JobToJson(job);
  ASSERT_TRUE(out.ok()) << out.status();
  const json& j = *out;
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
  const absl::StatusOr<json> out = JobToJson(job);
  ASSERT_TRUE(out.ok()) << out.status();
  const json& j = *out;
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

// The REST rules protobuf's JSON parser and printer do not have (job_json.h).
TEST(JobJsonTest, KeepsTheRestRulesBeyondProtobufsMapping) {
  absl::StatusOr<Job> job = JobFromJson(json::parse(R"({
    "state": "", "scheduleTime": "",
    "httpTarget": {"uri": "https://example.com/", "httpMethod": "", "headers": {"X-Gone": null, "X-A": "1"}},
    "status": {"code": 3, "details": [{"@type": "type.googleapis.com/unknown.Type"}]}})"));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state, JobState::kUnspecified);
  EXPECT_EQ(job->schedule_time, absl::InfinitePast());
  EXPECT_EQ(job->http_target->http_method, HttpMethod::kPost);
  EXPECT_EQ(job->http_target->headers, (std::map<std::string, std::string>{{"X-A", "1"}}));
  EXPECT_EQ(job->status, (JobStatus{3, ""}));

  Job out;
  out.schedule_time = absl::FromUnixMillis(1'700'000'300'120);
  const absl::StatusOr<json> j = JobToJson(out);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["scheduleTime"], "2023-11-14T22:18:20.12Z");
}

TEST(JobJsonTest, BothTargetsAreParsedForValidateJobToRefuse) {
  absl::StatusOr<Job> job = JobFromJson(json::parse(R"({
    "pubsubTarget": {"topicName": "projects/p/topics/t"}, "httpTarget": {"uri": "https://example.com/"}})"));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->pubsub_target->topic_name, "projects/p/topics/t");
  EXPECT_EQ(job->http_target->uri, "https://example.com/");
}

TEST(JobJsonTest, BothAuthorizationTokensAreParsedForValidateJobToRefuse) {
  absl::StatusOr<Job> job = JobFromJson(json::parse(R"({"pubsubTarget": {"topicName": "projects/p/topics/t"},
    "httpTarget": {"uri": "https://example.com/", "oauthToken": {"scope": "s"}, "oidcToken": {"audience": "a"}}})"));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->http_target->uri, "https://example.com/");
  EXPECT_EQ(job->http_target->oauth_token, (OAuthToken{"", "s"}));
  EXPECT_EQ(job->http_target->oidc_token, (OidcToken{"", "a"}));
  EXPECT_TRUE(job->pubsub_target.has_value());
}

TEST(JobJsonTest, ErrorsNameTheJsonPathInGooglesWording) {
  EXPECT_EQ(JobFromJson(json{{"nope", 1}}).status().message(),
            "Invalid JSON payload received. Unknown name \"nope\" at 'job'.");
  EXPECT_EQ(JobFromJson(json{{"httpTarget", {{"oauthToken", {{"x", 1}}}}}}).status().message(),
            "Invalid JSON payload received. Unknown name \"x\" at 'httpTarget.oauthToken'.");
  EXPECT_EQ(JobFromJson(json{{"httpTarget", {{"headers", {{"a", 5}}}}}}).status().message(),
            "Invalid value at 'httpTarget.headers.a': expected a string");
  EXPECT_THAT(std::string(JobFromJson(json{{"retryConfig", {{"maxRetryDuration", "1e3s"}}}}).status().message()),
              ::testing::StartsWith("Invalid value at 'retryConfig.maxRetryDuration': "));
}

TEST(JobJsonTest, ErrorsNeverEchoTheValueThatWasRefused) {
  // A body or data that is not base64 may be a raw payload with a credential in it, and any size.
  const std::string secret = "Authorization: Bearer s3cret-token!!!" + std::string(kEchoProbeBytes, 'x');
  for (const char* target : {"pubsubTarget", "httpTarget"}) {
    const char* field = std::string(target) == "pubsubTarget" ? "data" : "body";
    const absl::Status status = JobFromJson(json{{target, {{field, secret}}}}).status();
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()),
                ::testing::StartsWith(absl::StrCat("Invalid value at '", target, ".", field, "'")));
    EXPECT_EQ(std::string(status.message()).find("s3cret"), std::string::npos) << status.message();
    EXPECT_LT(status.message().size(), kMaxErrorBytes) << status.message();
  }
  const absl::Status status = JobFromJson(json{{"retryConfig", {{"maxRetryDuration", "s3cret"}}}}).status();
  EXPECT_EQ(std::string(status.message()).find("s3cret"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace schedsvc::scheduler
