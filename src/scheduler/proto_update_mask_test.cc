#include "src/scheduler/proto_update_mask.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/scheduler/rest/job_json.h"
#include "src/scheduler/rest/update_mask.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// True when both optionals are empty or hold equal messages.
template <typename T>
bool SameOptional(const std::optional<T>& a, const std::optional<T>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || MessageDifferencer::Equals(*a, *b);
}

bool SameRequest(const JobRequest& a, const JobRequest& b) {
  return MessageDifferencer::Equals(a.job, b.job) && SameOptional(a.second_http_target, b.second_http_target) &&
         SameOptional(a.second_oidc_token, b.second_oidc_token);
}

Job StoredHttpJob() {
  Job job;
  job.set_name("projects/p/locations/l/jobs/j");
  job.set_description("d");
  job.set_schedule("0 * * * *");
  job.set_time_zone("Europe/Paris");
  v1::HttpTarget& t = *job.mutable_http_target();
  t.set_uri("http://a/");
  t.set_http_method(v1::PUT);
  (*t.mutable_headers())["X-A"] = "1";
  (*t.mutable_headers())["X-B"] = "2";
  t.mutable_oauth_token()->set_service_account_email("sa@p");
  t.mutable_oauth_token()->set_scope("scope");
  v1::RetryConfig& r = *job.mutable_retry_config();
  r.set_retry_count(3);
  *r.mutable_min_backoff_duration() = ToDuration(absl::Seconds(10));
  *r.mutable_max_backoff_duration() = ToDuration(absl::Seconds(60));
  r.set_max_doublings(2);
  *job.mutable_attempt_deadline() = ToDuration(absl::Seconds(60));
  job.set_state(Job::ENABLED);
  job.mutable_status()->set_code(5);
  job.mutable_status()->set_message("not found");
  SetUserUpdateTime(job, absl::FromUnixMillis(1'700'000'000'120));
  // As the service stores a job.
  FillJobDefaults(job);
  return job;
}

Job StoredPubsubJob() {
  Job job = StoredHttpJob();
  job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
  job.mutable_pubsub_target()->set_data("x");
  (*job.mutable_pubsub_target()->mutable_attributes())["k"] = "v";
  return job;
}

// The REST update on the patch's proto3 JSON: the meaning the proto update must have.
absl::StatusOr<JobRequest> ThroughJson(const Job& current, const v1::Job& patch,
                                       const std::vector<std::string>& paths) {
  std::string text;
  if (const auto s = google::protobuf::util::MessageToJsonString(patch, &text); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid job: ", std::string(s.message())));
  }
  const nlohmann::json body = nlohmann::json::parse(text);
  absl::StatusOr<nlohmann::json> stored = JobToJson(current);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<nlohmann::json> merged = ApplyUpdateMask(*stored, body, paths);
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
  stored_oidc.mutable_http_target()->mutable_oidc_token()->set_service_account_email("sa@q");
  stored_oidc.mutable_http_target()->mutable_oidc_token()->set_audience("aud");
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
    absl::StatusOr<JobRequest> direct = ApplyUpdateMaskToProto(c.current, c.patch, c.paths);
    absl::StatusOr<JobRequest> reference = ThroughJson(c.current, c.patch, c.paths);
    const std::string where = absl::StrCat(c.patch.ShortDebugString(), " mask ", absl::StrJoin(c.paths, ","));
    EXPECT_EQ(direct.status(), reference.status()) << where;
    if (direct.ok() && reference.ok()) {
      EXPECT_TRUE(SameRequest(*direct, *reference)) << where << "\n" << direct->job.ShortDebugString() << "\nvs\n"
                                                    << reference->job.ShortDebugString();
    }
  }
}

TEST(ProtoUpdateMaskTest, AppliesOnlyMaskedPathsAndClearsAbsentOnes) {
  absl::StatusOr<JobRequest> job = ApplyUpdateMaskToProto(StoredHttpJob(), Patch(), {"schedule", "description"});
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job.schedule(), "*/5 * * * *");
  EXPECT_EQ(job->job.description(), "");
  EXPECT_EQ(job->job.time_zone(), "Europe/Paris");
  EXPECT_EQ(job->job.http_target().http_method(), v1::PUT);
  EXPECT_EQ(job->job.retry_config().retry_count(), 3);
}

TEST(ProtoUpdateMaskTest, MaskedTargetFieldOnTheOtherTargetKeepsBoth) {
  absl::StatusOr<JobRequest> job = ApplyUpdateMaskToProto(StoredPubsubJob(), Patch(), {"httpTarget.headers"});
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(job->job.has_pubsub_target());
  ASSERT_TRUE(job->second_http_target.has_value());
  const auto& headers = job->second_http_target->headers();
  EXPECT_EQ((std::map<std::string, std::string>(headers.begin(), headers.end())),
            (std::map<std::string, std::string>{{"X-C", "3"}}));
}

TEST(ProtoUpdateMaskTest, RejectsPathsThatAreNotUpdatable) {
  EXPECT_THAT(std::string(ApplyUpdateMaskToProto(StoredHttpJob(), Patch(), {"schedule", "name"}).status().message()),
              HasSubstr("\"name\""));
}

}  // namespace
}  // namespace schedsvc::scheduler
