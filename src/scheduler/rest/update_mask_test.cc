#include "src/scheduler/rest/update_mask.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

json CurrentHttpJob() {
  return json::parse(R"({
    "name": "projects/p/locations/l/jobs/j", "schedule": "0 * * * *", "timeZone": "Europe/Paris",
    "description": "d",
    "httpTarget": {"uri": "http://a/", "httpMethod": "PUT", "headers": {"X-A": "1", "X-B": "2"}},
    "retryConfig": {"retryCount": 3, "minBackoffDuration": "10s", "maxBackoffDuration": "60s",
                    "maxDoublings": 2, "maxRetryDuration": "0s"},
    "attemptDeadline": "60s", "state": "ENABLED"})");
}

TEST(UpdateMaskTest, ParsesCommaListAndConvertsSnakeCase) {
  EXPECT_THAT(ParseUpdateMask("retry_config.retry_count,schedule,httpTarget.headers"),
              ElementsAre("retryConfig.retryCount", "schedule", "httpTarget.headers"));
  EXPECT_TRUE(ParseUpdateMask("").empty());
}

TEST(UpdateMaskTest, AppliesOnlyMaskedPathsIgnoringUnmaskedDefaults) {
  // What gcloud sends for `update http j --schedule="*/5 * * * *"`: defaults ride along unmasked.
  const json patch = json::parse(R"({"schedule": "*/5 * * * *", "timeZone": "Etc/UTC",
      "httpTarget": {"httpMethod": "POST"},
      "retryConfig": {"retryCount": 0, "minBackoffDuration": "5s"}})");
  absl::StatusOr<json> out = ApplyUpdateMask(CurrentHttpJob(), patch, {"schedule"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["schedule"], "*/5 * * * *");
  EXPECT_EQ((*out)["timeZone"], "Europe/Paris");
  EXPECT_EQ((*out)["httpTarget"]["httpMethod"], "PUT");
  EXPECT_EQ((*out)["retryConfig"]["retryCount"], 3);
}

TEST(UpdateMaskTest, MaskedPathAbsentFromBodyClearsTheField) {
  absl::StatusOr<json> out =
      ApplyUpdateMask(CurrentHttpJob(), json::object(), {"description", "retryConfig.retryCount"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->contains("description"));
  EXPECT_FALSE((*out)["retryConfig"].contains("retryCount"));
  EXPECT_EQ((*out)["retryConfig"]["minBackoffDuration"], "10s");
}

TEST(UpdateMaskTest, MaskedMapIsReplacedWholeAndNullValuesDelete) {
  const json patch = json::parse(R"({"httpTarget": {"headers": {"X-A": null, "X-C": "3"}}})");
  absl::StatusOr<json> out = ApplyUpdateMask(CurrentHttpJob(), patch, {"httpTarget.headers"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["httpTarget"]["headers"], json::parse(R"({"X-C": "3"})"));
  EXPECT_EQ((*out)["httpTarget"]["uri"], "http://a/");
}

TEST(UpdateMaskTest, NestedPathCreatesParents) {
  const json patch = json::parse(R"({"httpTarget": {"oidcToken": {"serviceAccountEmail": "sa@x"}}})");
  absl::StatusOr<json> out =
      ApplyUpdateMask(CurrentHttpJob(), patch, {"httpTarget.oidcToken.serviceAccountEmail"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["httpTarget"]["oidcToken"]["serviceAccountEmail"], "sa@x");
}

TEST(UpdateMaskTest, NoMaskReplacesPresentTopLevelFieldsWhole) {
  const json patch = json::parse(R"({"retryConfig": {"retryCount": 1}, "description": "new"})");
  absl::StatusOr<json> out = ApplyUpdateMask(CurrentHttpJob(), patch, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["retryConfig"], json::parse(R"({"retryCount": 1})"));
  EXPECT_EQ((*out)["description"], "new");
  EXPECT_EQ((*out)["schedule"], "0 * * * *");
}

TEST(UpdateMaskTest, NoMaskSwitchingTargetTypeDropsTheOther) {
  const json patch = json::parse(R"({"pubsubTarget": {"topicName": "projects/p/topics/t", "data": "eA=="}})");
  absl::StatusOr<json> out = ApplyUpdateMask(CurrentHttpJob(), patch, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->contains("httpTarget"));
  EXPECT_TRUE(out->contains("pubsubTarget"));
}

TEST(UpdateMaskTest, RejectsUnknownAndOutputOnlyPaths) {
  EXPECT_EQ(ApplyUpdateMask(CurrentHttpJob(), json::object(), {"state"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyUpdateMask(CurrentHttpJob(), json::object(), {"name"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyUpdateMask(CurrentHttpJob(), json::object(), {"httpTarget.bogus"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace schedsvc::scheduler
