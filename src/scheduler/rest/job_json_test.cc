#include "src/scheduler/rest/job_json.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using nlohmann::json;
using ::testing::HasSubstr;

MATCHER_P(EqualsJob, expected, "") {
  *result_listener << arg.ShortDebugString() << " vs " << expected.ShortDebugString();
  return google::protobuf::util::MessageDifferencer::Equals(arg, expected);
}

constexpr char kJobName[] = "projects/p/locations/us-central1/jobs/j1";
// A refused value this large must not come back in the error, nor any part of it.
constexpr std::size_t kEchoProbeBytes = 64 * 1024;
constexpr std::size_t kMaxErrorBytes = 512;

Job FullHttpJob() {
  Job job;
  job.set_name(kJobName);
  job.set_description("nightly");
  v1::HttpTarget& t = *job.mutable_http_target();
  t.set_uri("https://example.com/run");
  t.set_http_method(v1::PUT);
  (*t.mutable_headers())["X-A"] = "1";
  (*t.mutable_headers())["Content-Type"] = "application/json";
  t.set_body(std::string("{\"k\":\0}", 7));
  t.mutable_oidc_token()->set_service_account_email("sa@p.iam.gserviceaccount.com");
  t.mutable_oidc_token()->set_audience("https://aud");
  job.set_schedule("*/5 * * * *");
  job.set_time_zone("Europe/London");
  v1::RetryConfig& r = *job.mutable_retry_config();
  r.set_retry_count(3);
  *r.mutable_max_retry_duration() = ToDuration(absl::Seconds(90));
  *r.mutable_min_backoff_duration() = ToDuration(absl::Milliseconds(1500));
  *r.mutable_max_backoff_duration() = ToDuration(absl::Seconds(300));
  r.set_max_doublings(2);
  *job.mutable_attempt_deadline() = ToDuration(absl::Minutes(10));
  SetUserUpdateTime(job, absl::FromUnixMicros(1'700'000'000'123'456));
  job.set_state(Job::PAUSED);
  job.mutable_status()->set_code(14);
  job.mutable_status()->set_message("unavailable");
  SetScheduleTime(job, absl::FromUnixSeconds(1'700'000'300));
  SetLastAttemptTime(job, absl::FromUnixSeconds(1'700'000'000));
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
  absl::StatusOr<JobRequest> back = JobFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(back->job, EqualsJob(job));
}

TEST(JobJsonTest, PubsubJobRoundTripsBase64Data) {
  Job job;
  job.set_name(kJobName);
  job.set_schedule("every 5 minutes");
  job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
  job.mutable_pubsub_target()->set_data("hello");
  (*job.mutable_pubsub_target()->mutable_attributes())["a"] = "b";
  // As the service stores a job.
  FillJobDefaults(job);
  const absl::StatusOr<json> out = JobToJson(job);
  ASSERT_TRUE(out.ok()) << out.status();
  const json& j = *out;
  EXPECT_EQ(j["pubsubTarget"]["data"], "aGVsbG8=");
  EXPECT_EQ(j["pubsubTarget"]["attributes"]["a"], "b");
  absl::StatusOr<JobRequest> back = JobFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(back->job, EqualsJob(job));
}

TEST(JobJsonTest, ParsesTheBodyGcloudSendsOnCreate) {
  const json body = json::parse(R"({
    "name": "projects/p/locations/us-central1/jobs/j1",
    "schedule": "0 9 * * 1", "timeZone": "Etc/UTC",
    "pubsubTarget": {"topicName": "projects/p/topics/t", "data": "aGk=", "attributes": {"k": "v"}},
    "retryConfig": {"retryCount": 0, "minBackoffDuration": "5s", "maxBackoffDuration": "3600s",
                    "maxDoublings": 5}})");
  absl::StatusOr<JobRequest> job = JobFromJson(body);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job.pubsub_target().data(), "hi");
  EXPECT_EQ(RetryPolicyOf(job->job).max_backoff, absl::Hours(1));
  EXPECT_EQ(AttemptDeadlineOf(job->job), kDefaultAttemptDeadline);
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
  absl::StatusOr<JobRequest> job = JobFromJson(json::parse(R"({
    "state": "", "scheduleTime": "",
    "httpTarget": {"uri": "https://example.com/", "httpMethod": "", "headers": {"X-Gone": null, "X-A": "1"}},
    "status": {"code": 3, "details": [{"@type": "type.googleapis.com/unknown.Type"}]}})"));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job.state(), Job::STATE_UNSPECIFIED);
  EXPECT_EQ(ScheduleTimeOf(job->job), absl::InfinitePast());
  EXPECT_EQ(job->job.http_target().http_method(), v1::POST);
  const auto& headers = job->job.http_target().headers();
  EXPECT_EQ((std::map<std::string, std::string>(headers.begin(), headers.end())),
            (std::map<std::string, std::string>{{"X-A", "1"}}));
  ASSERT_TRUE(job->job.has_status());
  EXPECT_EQ(job->job.status().code(), 3);
  EXPECT_EQ(job->job.status().message(), "");
  EXPECT_EQ(job->job.status().details_size(), 0);

  Job out;
  SetScheduleTime(out, absl::FromUnixMillis(1'700'000'300'120));
  const absl::StatusOr<json> j = JobToJson(out);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["scheduleTime"], "2023-11-14T22:18:20.12Z");
}

TEST(JobJsonTest, BothTargetsAreParsedForValidateJobToRefuse) {
  absl::StatusOr<JobRequest> job = JobFromJson(json::parse(R"({
    "pubsubTarget": {"topicName": "projects/p/topics/t"}, "httpTarget": {"uri": "https://example.com/"}})"));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job.pubsub_target().topic_name(), "projects/p/topics/t");
  ASSERT_TRUE(job->second_http_target.has_value());
  EXPECT_EQ(job->second_http_target->uri(), "https://example.com/");
}

TEST(JobJsonTest, BothAuthorizationTokensAreParsedForValidateJobToRefuse) {
  absl::StatusOr<JobRequest> job = JobFromJson(json::parse(R"({"pubsubTarget": {"topicName": "projects/p/topics/t"},
    "httpTarget": {"uri": "https://example.com/", "oauthToken": {"scope": "s"}, "oidcToken": {"audience": "a"}}})"));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(job->second_http_target.has_value());
  EXPECT_EQ(job->second_http_target->uri(), "https://example.com/");
  ASSERT_TRUE(job->second_http_target->has_oauth_token());
  EXPECT_EQ(job->second_http_target->oauth_token().service_account_email(), "");
  EXPECT_EQ(job->second_http_target->oauth_token().scope(), "s");
  ASSERT_TRUE(job->second_oidc_token.has_value());
  EXPECT_EQ(job->second_oidc_token->service_account_email(), "");
  EXPECT_EQ(job->second_oidc_token->audience(), "a");
  EXPECT_TRUE(job->job.has_pubsub_target());
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

// The proto as the REST API prints it for a round trip, with the REST's message for a proto that has no
// JSON form (CheckJobProto).
absl::StatusOr<json> PlainProtoJson(const Job& job) {
  std::string text;
  if (const auto s = google::protobuf::util::MessageToJsonString(job, &text); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid job: ", std::string(s.message())));
  }
  return json::parse(text);
}

Job FullPubsubJob() {
  Job job;
  job.set_name("projects/p/locations/us-central1/jobs/pubsub-job");
  job.set_description("ticks");
  v1::PubsubTarget& t = *job.mutable_pubsub_target();
  t.set_topic_name("projects/p/topics/t");
  t.set_data(std::string("bin\0ary", 7));
  (*t.mutable_attributes())["a"] = "1";
  (*t.mutable_attributes())["b"] = "";
  job.set_schedule("*/5 * * * *");
  job.set_time_zone("Europe/Berlin");
  v1::RetryConfig& r = *job.mutable_retry_config();
  r.set_retry_count(3);
  *r.mutable_max_retry_duration() = ToDuration(absl::Seconds(90));
  *r.mutable_min_backoff_duration() = ToDuration(absl::Milliseconds(1500));
  *r.mutable_max_backoff_duration() = ToDuration(absl::Minutes(10));
  r.set_max_doublings(2);
  *job.mutable_attempt_deadline() = ToDuration(absl::Minutes(10));
  SetUserUpdateTime(job, absl::FromUnixSeconds(1'700'000'000));
  job.set_state(Job::PAUSED);
  job.mutable_status()->set_code(14);
  job.mutable_status()->set_message("Pub/Sub unavailable");
  SetScheduleTime(job, absl::FromUnixMillis(1'700'000'300'250));
  SetLastAttemptTime(job, absl::FromUnixSeconds(1'700'000'100));
  return job;
}

Job HttpJob() {
  Job job;
  job.set_name("projects/p/locations/us-central1/jobs/http-job");
  v1::HttpTarget& t = *job.mutable_http_target();
  t.set_uri("https://example.com/run?x=1");
  t.set_http_method(v1::PUT);
  (*t.mutable_headers())["X-A"] = "1";
  t.set_body("{\"k\":1}");
  t.mutable_oidc_token()->set_service_account_email("sa@p.iam.gserviceaccount.com");
  t.mutable_oidc_token()->set_audience("https://example.com");
  job.set_schedule("every 10 minutes");
  job.set_state(Job::ENABLED);
  return job;
}

TEST(JobJsonTest, ProtoJsonHasOnlySetFields) {
  Job job;
  job.set_name("projects/p/locations/l/jobs/j");
  job.mutable_retry_config()->set_retry_count(2);
  job.mutable_http_target()->set_uri("http://127.0.0.1/");
  absl::StatusOr<json> j = JobToJson(job);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(*j, json::parse(R"({"name":"projects/p/locations/l/jobs/j",
      "retryConfig":{"retryCount":2},"httpTarget":{"uri":"http://127.0.0.1/"}})"));
}

// A stored job (defaults filled) through its REST JSON and back: the REST rules on top of protobuf's
// printer and parser (fewest-digit timestamps, empty messages, negative durations) lose nothing.
TEST(JobJsonTest, JobSurvivesTheRestJsonRoundTrip) {
  Job zero_doublings = FullPubsubJob();
  zero_doublings.mutable_retry_config()->set_max_doublings(0);
  Job empty_status = HttpJob();
  empty_status.mutable_status();
  empty_status.mutable_http_target()->mutable_oauth_token();
  Job negative = HttpJob();
  *negative.mutable_attempt_deadline() = ToDuration(-absl::Milliseconds(1500));
  SetUserUpdateTime(negative, absl::FromUnixNanos(-1));
  for (Job job : {FullPubsubJob(), HttpJob(), Job{}, zero_doublings, empty_status, negative}) {
    FillJobDefaults(job);
    absl::StatusOr<json> j = JobToJson(job);
    ASSERT_TRUE(j.ok()) << j.status();
    absl::StatusOr<JobRequest> back = JobFromJson(*j);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_THAT(back->job, EqualsJob(job));
  }
}

// A gRPC request's proto (JobFromRequest) means what its proto3 JSON means as a REST body.
TEST(JobJsonTest, GrpcJobMeansWhatItsRestBodyMeans) {
  std::vector<Job> protos;
  protos.push_back(FullPubsubJob());
  protos.push_back(HttpJob());
  protos.emplace_back();
  Job p = HttpJob();
  p.mutable_retry_config()->Clear();
  p.mutable_http_target()->set_http_method(v1::HTTP_METHOD_UNSPECIFIED);
  p.clear_attempt_deadline();
  protos.push_back(p);
  p.mutable_retry_config()->set_max_doublings(0);
  protos.push_back(p);
  p.mutable_http_target()->set_http_method(static_cast<v1::HttpMethod>(42));
  protos.push_back(p);
  p = FullPubsubJob();
  p.set_state(static_cast<Job::State>(9));
  protos.push_back(p);
  p = FullPubsubJob();
  p.mutable_attempt_deadline()->set_seconds(-1);
  p.mutable_attempt_deadline()->set_nanos(-500'000'000);
  p.mutable_user_update_time()->set_seconds(-5);
  protos.push_back(p);
  p.mutable_attempt_deadline()->set_nanos(500'000'000);  // signs disagree
  protos.push_back(p);
  p = FullPubsubJob();
  p.mutable_retry_config()->mutable_max_backoff_duration()->set_seconds(400'000'000'000);
  protos.push_back(p);
  p = FullPubsubJob();
  p.mutable_schedule_time()->set_nanos(-1);
  protos.push_back(p);
  p = FullPubsubJob();
  p.mutable_last_attempt_time()->set_seconds(253'402'300'800);  // year 10000
  protos.push_back(p);
  p = FullPubsubJob();
  p.mutable_status()->add_details()->set_type_url("type.googleapis.com/unknown.Type");
  protos.push_back(p);
  p = HttpJob();
  p.mutable_app_engine_http_target()->set_relative_uri("/x");
  protos.push_back(p);
  for (const Job& proto : protos) {
    absl::StatusOr<Job> direct = JobFromRequest(proto);
    absl::StatusOr<json> body = PlainProtoJson(proto);
    absl::StatusOr<JobRequest> reference =
        body.ok() ? JobFromJson(*body) : absl::StatusOr<JobRequest>(body.status());
    EXPECT_EQ(direct.status(), reference.status()) << proto.DebugString();
    if (direct.ok() && reference.ok()) {
      EXPECT_THAT(*direct, EqualsJob(reference->job)) << proto.DebugString();
    }
  }
}

}  // namespace
}  // namespace schedsvc::scheduler
