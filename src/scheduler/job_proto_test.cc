#include "src/scheduler/job_proto.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/rest/job_json.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::testing::HasSubstr;

Job FullPubsubJob() {
  Job job;
  job.name = "projects/p/locations/us-central1/jobs/pubsub-job";
  job.description = "ticks";
  job.pubsub_target = PubsubTarget{"projects/p/topics/t", std::string("bin\0ary", 7), {{"a", "1"}, {"b", ""}}};
  job.schedule = "*/5 * * * *";
  job.time_zone = "Europe/Berlin";
  job.retry_config.retry_count = 3;
  job.retry_config.max_retry_duration = absl::Seconds(90);
  job.retry_config.min_backoff = absl::Milliseconds(1500);
  job.retry_config.max_backoff = absl::Minutes(10);
  job.retry_config.max_doublings = 2;
  job.attempt_deadline = absl::Minutes(10);
  job.user_update_time = absl::FromUnixSeconds(1'700'000'000);
  job.state = JobState::kPaused;
  job.status = JobStatus{14, "Pub/Sub unavailable"};
  job.schedule_time = absl::FromUnixMillis(1'700'000'300'250);
  job.last_attempt_time = absl::FromUnixSeconds(1'700'000'100);
  return job;
}

Job HttpJob() {
  Job job;
  job.name = "projects/p/locations/us-central1/jobs/http-job";
  HttpTarget t;
  t.uri = "https://example.com/run?x=1";
  t.http_method = HttpMethod::kPut;
  t.headers = {{"X-A", "1"}};
  t.body = "{\"k\":1}";
  t.oidc_token = OidcToken{"sa@p.iam.gserviceaccount.com", "https://example.com"};
  job.http_target = t;
  job.schedule = "every 10 minutes";
  job.state = JobState::kEnabled;
  return job;
}

TEST(JobProtoTest, PubsubJobRoundTripsWithEveryField) {
  const Job job = FullPubsubJob();
  absl::StatusOr<v1::Job> proto = JobToProto(job);
  ASSERT_TRUE(proto.ok()) << proto.status();
  absl::StatusOr<Job> back = JobFromProto(*proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, job);
}

TEST(JobProtoTest, HttpJobRoundTrips) {
  const Job job = HttpJob();
  absl::StatusOr<v1::Job> proto = JobToProto(job);
  ASSERT_TRUE(proto.ok()) << proto.status();
  absl::StatusOr<Job> back = JobFromProto(*proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, job);
}

TEST(JobProtoTest, ProtoCarriesTypedValues) {
  absl::StatusOr<v1::Job> proto = JobToProto(FullPubsubJob());
  ASSERT_TRUE(proto.ok()) << proto.status();
  ASSERT_EQ(proto->target_case(), v1::Job::kPubsubTarget);
  EXPECT_EQ(proto->pubsub_target().data(), std::string("bin\0ary", 7));  // raw bytes, not base64
  EXPECT_EQ(proto->pubsub_target().attributes().at("a"), "1");
  EXPECT_EQ(proto->state(), v1::Job::PAUSED);
  EXPECT_EQ(proto->status().code(), 14);
  EXPECT_EQ(proto->status().message(), "Pub/Sub unavailable");
  EXPECT_EQ(proto->attempt_deadline().seconds(), 600);
  EXPECT_EQ(proto->retry_config().min_backoff_duration().seconds(), 1);
  EXPECT_EQ(proto->retry_config().min_backoff_duration().nanos(), 500'000'000);
  EXPECT_EQ(proto->retry_config().max_doublings(), 2);
  EXPECT_EQ(proto->user_update_time().seconds(), 1'700'000'000);
  EXPECT_EQ(proto->schedule_time().nanos(), 250'000'000);

  absl::StatusOr<v1::Job> http = JobToProto(HttpJob());
  ASSERT_TRUE(http.ok()) << http.status();
  ASSERT_EQ(http->target_case(), v1::Job::kHttpTarget);
  EXPECT_EQ(http->http_target().http_method(), v1::PUT);
  EXPECT_EQ(http->http_target().body(), "{\"k\":1}");
  ASSERT_EQ(http->http_target().authorization_header_case(), v1::HttpTarget::kOidcToken);
  EXPECT_EQ(http->http_target().oidc_token().audience(), "https://example.com");
}

TEST(JobProtoTest, UnsetProtoFieldsTakeTheRestDefaults) {
  v1::Job proto;
  proto.set_name("projects/p/locations/l/jobs/j");
  proto.set_schedule("* * * * *");
  proto.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
  proto.mutable_pubsub_target()->set_data("x");
  absl::StatusOr<Job> job = JobFromProto(proto);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->attempt_deadline, kDefaultAttemptDeadline);
  EXPECT_EQ(job->retry_config.min_backoff, RetryPolicy{}.min_backoff);
  EXPECT_EQ(job->retry_config.max_doublings, RetryPolicy{}.max_doublings);
  EXPECT_EQ(job->state, JobState::kUnspecified);
  EXPECT_FALSE(job->status.has_value());
  EXPECT_EQ(job->user_update_time, absl::InfinitePast());
}

TEST(JobProtoTest, ProtoJsonHasOnlySetFields) {
  v1::Job proto;
  proto.set_name("projects/p/locations/l/jobs/j");
  proto.mutable_retry_config()->set_retry_count(2);
  proto.mutable_http_target()->set_uri("http://127.0.0.1/");
  absl::StatusOr<nlohmann::json> json = JobProtoToJson(proto);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, nlohmann::json::parse(R"({"name":"projects/p/locations/l/jobs/j",
      "retryConfig":{"retryCount":2},"httpTarget":{"uri":"http://127.0.0.1/"}})"));
}

TEST(JobProtoTest, AppEngineTargetIsRejectedLikeRest) {
  v1::Job proto;
  proto.set_name("projects/p/locations/l/jobs/j");
  proto.mutable_app_engine_http_target()->set_relative_uri("/x");
  absl::Status s = JobFromProto(proto).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("appEngineHttpTarget is not supported"));
}

TEST(JobProtoTest, UnknownEnumNumberIsInvalidArgument) {
  v1::Job proto;
  proto.mutable_http_target()->set_uri("http://127.0.0.1/");
  proto.mutable_http_target()->set_http_method(static_cast<v1::HttpMethod>(42));
  EXPECT_EQ(JobFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
}

// A Job through its REST JSON and back. The REST API itself converts with JobToProto / JobFromProto, so
// these are not an independent reference: they check that the REST JSON (protobuf's printer and parser plus
// the REST rules on top, e.g. fewest-digit timestamps, negative durations) loses nothing of the conversion.
absl::StatusOr<v1::Job> JobToProtoThroughJson(const Job& job) {
  absl::StatusOr<nlohmann::json> json = JobToJson(job);
  if (!json.ok()) return json.status();
  v1::Job proto;
  const auto status = google::protobuf::util::JsonStringToMessage(json->dump(), &proto);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  return proto;
}

absl::StatusOr<Job> JobFromProtoThroughJson(const v1::Job& proto) {
  absl::StatusOr<nlohmann::json> json = JobProtoToJson(proto);
  if (!json.ok()) return json.status();
  return JobFromJson(*json);
}

TEST(JobProtoTest, JobToProtoSurvivesTheRestJsonRoundTrip) {
  Job zero_doublings = FullPubsubJob();
  zero_doublings.retry_config.max_doublings = 0;
  Job empty_status = HttpJob();
  empty_status.status = JobStatus{};
  empty_status.http_target->oidc_token.reset();
  empty_status.http_target->oauth_token = OAuthToken{};
  Job negative = HttpJob();
  negative.attempt_deadline = -absl::Milliseconds(1500);
  negative.user_update_time = absl::FromUnixNanos(-1);
  for (const Job& job : {FullPubsubJob(), HttpJob(), Job{}, zero_doublings, empty_status, negative}) {
    absl::StatusOr<v1::Job> direct = JobToProto(job);
    absl::StatusOr<v1::Job> reference = JobToProtoThroughJson(job);
    ASSERT_TRUE(reference.ok()) << reference.status();
    ASSERT_TRUE(direct.ok()) << direct.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*direct, *reference))
        << direct->DebugString() << " vs " << reference->DebugString();
  }
}

TEST(JobProtoTest, JobFromProtoSurvivesTheRestJsonRoundTrip) {
  std::vector<v1::Job> protos;
  protos.push_back(*JobToProto(FullPubsubJob()));
  protos.push_back(*JobToProto(HttpJob()));
  protos.emplace_back();
  v1::Job p = *JobToProto(HttpJob());
  p.mutable_retry_config()->Clear();
  p.mutable_http_target()->set_http_method(v1::HTTP_METHOD_UNSPECIFIED);
  p.clear_attempt_deadline();
  protos.push_back(p);
  p.mutable_retry_config()->set_max_doublings(0);
  protos.push_back(p);
  p.mutable_http_target()->set_http_method(static_cast<v1::HttpMethod>(42));
  protos.push_back(p);
  p = *JobToProto(FullPubsubJob());
  p.set_state(static_cast<v1::Job::State>(9));
  protos.push_back(p);
  p = *JobToProto(FullPubsubJob());
  p.mutable_attempt_deadline()->set_seconds(-1);
  p.mutable_attempt_deadline()->set_nanos(-500'000'000);
  p.mutable_user_update_time()->set_seconds(-5);
  protos.push_back(p);
  p.mutable_attempt_deadline()->set_nanos(500'000'000);  // signs disagree
  protos.push_back(p);
  p = *JobToProto(FullPubsubJob());
  p.mutable_retry_config()->mutable_max_backoff_duration()->set_seconds(400'000'000'000);
  protos.push_back(p);
  p = *JobToProto(FullPubsubJob());
  p.mutable_schedule_time()->set_nanos(-1);
  protos.push_back(p);
  p = *JobToProto(FullPubsubJob());
  p.mutable_last_attempt_time()->set_seconds(253'402'300'800);  // year 10000
  protos.push_back(p);
  p = *JobToProto(FullPubsubJob());
  p.mutable_status()->add_details()->set_type_url("type.googleapis.com/unknown.Type");
  protos.push_back(p);
  p = *JobToProto(HttpJob());
  p.mutable_app_engine_http_target()->set_relative_uri("/x");
  protos.push_back(p);
  for (const v1::Job& proto : protos) {
    absl::StatusOr<Job> direct = JobFromProto(proto);
    absl::StatusOr<Job> reference = JobFromProtoThroughJson(proto);
    EXPECT_EQ(direct.status(), reference.status()) << proto.DebugString();
    if (direct.ok() && reference.ok()) {
      EXPECT_EQ(*direct, *reference) << proto.DebugString();
    }
  }
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
