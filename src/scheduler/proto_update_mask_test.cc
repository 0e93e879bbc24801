#include "src/scheduler/proto_update_mask.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/scheduler/job_proto.h"
#include "src/scheduler/rest/job_json.h"
#include "src/scheduler/rest/update_mask.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::testing::HasSubstr;

Job StoredHttpJob() {
  Job job;
  job.name = "projects/p/locations/l/jobs/j";
  job.description = "d";
  job.schedule = "0 * * * *";
  job.time_zone = "Europe/Paris";
  HttpTarget t;
  t.uri = "http://a/";
  t.http_method = HttpMethod::kPut;
  t.headers = {{"X-A", "1"}, {"X-B", "2"}};
  t.oauth_token = OAuthToken{"sa@p", "scope"};
  job.http_target = t;
  job.retry_config.retry_count = 3;
  job.retry_config.min_backoff = absl::Seconds(10);
  job.retry_config.max_backoff = absl::Seconds(60);
  job.retry_config.max_doublings = 2;
  job.attempt_deadline = absl::Seconds(60);
  job.state = JobState::kEnabled;
  job.status = JobStatus{5, "not found"};
  job.user_update_time = absl::FromUnixMillis(1'700'000'000'120);
  return job;
}

Job StoredPubsubJob() {
  Job job = StoredHttpJob();
  job.http_target.reset();
  job.pubsub_target = PubsubTarget{"projects/p/topics/t", "x", {{"k", "v"}}};
  return job;
}

// The REST update on the patch's proto3 JSON: the meaning the proto update must have.
absl::StatusOr<Job> ThroughJson(const Job& current, const v1::Job& patch, const std::vector<std::string>& paths) {
  absl::StatusOr<nlohmann::json> body = JobProtoToJson(patch);
  if (!body.ok()) return body.status();
  absl::StatusOr<nlohmann::json> stored = JobToJson(current);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<nlohmann::json> merged = ApplyUpdateMask(*stored, *body, paths);
  if (!merged.ok()) return merged.status();
  return JobFromJson(*merged);
}

v1::Job Patch() {
  v1::Job patch;
  patch.set_name("projects/p/locations/l/jobs/j");
  patch.set_schedule("*/5 * * * *");
  patch.set_time_zone("Etc/UTC");
  patch.mutable_http_target()->set_http_method(v1::POST);
  patch.mutable_http_target()->mutable_headers()->insert({"X-C", "3"});
  patch.mutable_retry_config()->mutable_min_backoff_duration()->set_seconds(5);
  return patch;
}

TEST(ProtoUpdateMaskTest, AgreesWithTheRestUpdateOnThePatchJson) {
  v1::Job pubsub_patch;
  pubsub_patch.mutable_pubsub_target()->set_topic_name("projects/p/topics/u");
  pubsub_patch.set_description("new");
  v1::Job zero_doublings;
  zero_doublings.mutable_retry_config()->set_max_doublings(0);
  v1::Job oidc;
  oidc.mutable_http_target()->mutable_oidc_token()->set_service_account_email("sa@x");
  v1::Job bad_method;
  bad_method.mutable_http_target()->set_http_method(static_cast<v1::HttpMethod>(42));
  v1::Job bad_duration;
  bad_duration.mutable_attempt_deadline()->set_seconds(400'000'000'000);
  Job stored_oidc = StoredHttpJob();
  stored_oidc.http_target->oauth_token.reset();
  stored_oidc.http_target->oidc_token = OidcToken{"sa@q", "aud"};
  v1::Job oauth;
  oauth.mutable_http_target()->set_uri("http://b/");
  oauth.mutable_http_target()->mutable_oauth_token()->set_scope("s2");
  v1::Job audience;
  audience.mutable_http_target()->mutable_oidc_token()->set_audience("a2");
  struct Case {
    Job current;
    v1::Job patch;
    std::vector<std::string> paths;
  };
  const std::vector<Case> cases = {
      {StoredHttpJob(), Patch(), {"schedule"}},
      {StoredHttpJob(), Patch(), {}},
      {StoredHttpJob(), Patch(), {"httpTarget.headers", "httpTarget.httpMethod", "timeZone"}},
      {StoredHttpJob(), Patch(), {"description", "retryConfig.retryCount", "retryConfig.maxDoublings"}},
      {StoredHttpJob(), Patch(), {"retryConfig"}},
      {StoredHttpJob(), Patch(), {"httpTarget"}},
      {StoredHttpJob(), Patch(), {"attemptDeadline", "httpTarget.oauthToken.scope"}},
      {StoredHttpJob(), Patch(), {"httpTarget.oauthToken"}},
      {StoredHttpJob(), oidc, {"httpTarget.oidcToken.serviceAccountEmail"}},
      {StoredHttpJob(), zero_doublings, {"retryConfig.maxDoublings"}},
      {StoredHttpJob(), zero_doublings, {}},
      {StoredHttpJob(), pubsub_patch, {}},
      {StoredHttpJob(), pubsub_patch, {"pubsubTarget"}},  // both targets: ValidateJob refuses it
      {StoredHttpJob(), pubsub_patch, {"pubsubTarget", "httpTarget"}},
      {StoredPubsubJob(), Patch(), {"httpTarget.uri"}},
      {StoredPubsubJob(), Patch(), {}},
      {StoredPubsubJob(), pubsub_patch, {"pubsubTarget.attributes", "pubsubTarget.data"}},
      {StoredPubsubJob(), pubsub_patch, {"pubsubTarget.topicName"}},
      {stored_oidc, oauth, {"httpTarget.oauthToken"}},  // both tokens: ValidateJob refuses it
      {stored_oidc, oauth, {"httpTarget"}},
      {stored_oidc, oauth, {}},
      {stored_oidc, oauth, {"httpTarget.oidcToken", "httpTarget.uri"}},
      {stored_oidc, audience, {"httpTarget.oidcToken.audience"}},
      {stored_oidc, Patch(), {"httpTarget.headers"}},
      {StoredHttpJob(), oidc, {"httpTarget.oidcToken"}},  // both tokens
      {StoredPubsubJob(), audience, {"httpTarget.oidcToken.audience"}},
      {StoredPubsubJob(), audience, {"httpTarget.oidcToken.audience", "httpTarget.oidcToken"}},
      {StoredPubsubJob(), audience, {"httpTarget.oidcToken.audience", "pubsubTarget"}},
      {StoredPubsubJob(), oauth, {}},
      {StoredHttpJob(), Patch(), {"state"}},
      {StoredHttpJob(), Patch(), {"httpTarget.bogus"}},
      {StoredHttpJob(), bad_method, {"httpTarget.httpMethod"}},
      {StoredHttpJob(), bad_method, {"description"}},
      {StoredHttpJob(), bad_duration, {"description"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Job> direct = ApplyUpdateMaskToProto(c.current, c.patch, c.paths);
    absl::StatusOr<Job> reference = ThroughJson(c.current, c.patch, c.paths);
    const std::string where = absl::StrCat(c.patch.ShortDebugString(), " mask ", absl::StrJoin(c.paths, ","));
    EXPECT_EQ(direct.status(), reference.status()) << where;
    if (direct.ok() && reference.ok()) {
      EXPECT_EQ(*direct, *reference) << where;
    }
  }
}

TEST(ProtoUpdateMaskTest, AppliesOnlyMaskedPathsAndClearsAbsentOnes) {
  absl::StatusOr<Job> job = ApplyUpdateMaskToProto(StoredHttpJob(), Patch(), {"schedule", "description"});
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->schedule, "*/5 * * * *");
  EXPECT_EQ(job->description, "");
  EXPECT_EQ(job->time_zone, "Europe/Paris");
  EXPECT_EQ(job->http_target->http_method, HttpMethod::kPut);
  EXPECT_EQ(job->retry_config.retry_count, 3);
}

TEST(ProtoUpdateMaskTest, MaskedTargetFieldOnTheOtherTargetKeepsBoth) {
  absl::StatusOr<Job> job = ApplyUpdateMaskToProto(StoredPubsubJob(), Patch(), {"httpTarget.headers"});
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(job->pubsub_target.has_value());
  ASSERT_TRUE(job->http_target.has_value());
  EXPECT_EQ(job->http_target->headers, (std::map<std::string, std::string>{{"X-C", "3"}}));
}

TEST(ProtoUpdateMaskTest, RejectsPathsThatAreNotUpdatable) {
  EXPECT_THAT(std::string(ApplyUpdateMaskToProto(StoredHttpJob(), Patch(), {"schedule", "name"}).status().message()),
              HasSubstr("\"name\""));
}

}  // namespace
}  // namespace schedsvc::scheduler
