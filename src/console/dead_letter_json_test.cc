#include "src/console/dead_letter_json.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "src/pubsub/limits.h"

namespace schedsvc::console {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

google::pubsub::v1::PubsubMessage Message(const std::map<std::string, std::string>& attributes) {
  google::pubsub::v1::PubsubMessage m;
  m.set_message_id("dl-1");
  m.set_data("{\"x\":1}");
  *m.mutable_publish_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1767225600);  // 2026-01-01
  for (const auto& [k, v] : attributes) (*m.mutable_attributes())[k] = v;
  return m;
}

TEST(DeadLetterJsonTest, ShapesADeadLetterOfTheService) {
  const auto m = Message({{"path", "/bad"},
                          {"schedsvc.error", "HTTP 400 from demo"},
                          {"schedsvc.reason", "http_4xx"},
                          {"schedsvc.message_id", "orig-7"}});
  const nlohmann::json j = DeadLetterJson(m);
  EXPECT_EQ(j["id"], "dl-1");
  EXPECT_EQ(j["publishTime"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(j["reason"], "HTTP 400 from demo");
  EXPECT_EQ(j["originalMessageId"], "orig-7");
  EXPECT_EQ(j["dataBytes"], 7);
  EXPECT_EQ(j["attributes"].size(), 4u) << "all attributes, bookkeeping included";
  EXPECT_EQ(j["attributes"]["path"], "/bad");
  EXPECT_EQ(j["attributes"]["schedsvc.reason"], "http_4xx");
}

// The console shows dead letters in a browser (and in screenshots people share): a credential a job put in an
// attribute is hidden the way the recent-deliveries ring hides it, the rest stays readable to correct a path.
TEST(DeadLetterJsonTest, HidesCredentialsInAttributesAndReason) {
  const auto m = Message({{"path", "/hook?token=s3cret&x=1"},
                          {"callback", "https://user:pw@example.com/cb"},
                          {"Authorization", "Basic dXNlcjpwdw=="},
                          {"schedsvc.error", "GET /hook?api_key=k3y failed"}});
  const nlohmann::json j = DeadLetterJson(m);
  const std::string shown = j.dump();
  for (const char* secret : {"s3cret", "user:pw", "dXNlcjpwdw==", "k3y"}) {
    EXPECT_THAT(shown, Not(HasSubstr(secret))) << secret;
  }
  EXPECT_EQ(j["attributes"]["path"], "/hook?token=<redacted>&x=1");
  EXPECT_EQ(j["attributes"]["callback"], "https://***@example.com/cb");
  EXPECT_EQ(j["attributes"]["Authorization"], "<redacted>");
  EXPECT_EQ(j["reason"], "GET /hook?api_key=<redacted> failed");
}

TEST(DeadLetterJsonTest, ReasonFallsBackToTheReasonCodeThenPubsubsForwarding) {
  EXPECT_EQ(DeadLetterReason(Message({{"schedsvc.error", ""}, {"schedsvc.reason", "http_4xx"}})), "http_4xx");
  EXPECT_EQ(DeadLetterReason(Message({{"CloudPubSubDeadLetterSourceDeliveryCount", "5"}})),
            "delivery attempts exhausted");
  EXPECT_EQ(DeadLetterReason(Message({{"path", "/x"}})), "unknown");
  const nlohmann::json j = DeadLetterJson(Message({}));
  EXPECT_EQ(j["originalMessageId"], "");
  EXPECT_TRUE(j["attributes"].is_object());
}

TEST(DeadLetterJsonTest, ParsesAReplayRequest) {
  auto all = ParseReplayRequest("");
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(all->ids, IsEmpty());
  EXPECT_THAT(all->set_attributes, IsEmpty());
  auto some = ParseReplayRequest(R"({"ids":["a","b"],"setAttributes":{"path":"/ok","x":"1=2"}})");
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_THAT(some->ids, ElementsAre("a", "b"));
  EXPECT_EQ(some->set_attributes, (std::map<std::string, std::string>{{"path", "/ok"}, {"x", "1=2"}}));
  EXPECT_TRUE(ParseReplayRequest(R"({"ids":[]})").ok());
}

TEST(DeadLetterJsonTest, RefusesAMalformedReplayRequestNamingTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not JSON"},
      {"[1]", "JSON object"},
      {R"({"ids":"a"})", "ids must be an array"},
      {R"({"ids":[1]})", "non-empty strings"},
      {R"({"ids":[""]})", "non-empty strings"},
      {R"({"setAttributes":["a"]})", "setAttributes must be an object"},
      {R"({"setAttributes":{"a":1}})", "setAttributes.a must be a string"},
      {R"({"setAttributes":{"a=b":"c"}})", "must not contain '='"},
      {R"({"id":["a"]})", "unknown member \"id\""},
  };
  for (const auto& [body, why] : cases) {
    auto r = ParseReplayRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(r.status().message(), HasSubstr(why)) << body;
  }
}

TEST(DeadLetterJsonTest, RefusesAttributesAReplayCannotSetInTheApisWords) {
  // The page shows these errors: they name the request's members, never the CLI's flags.
  const std::string long_key(pubsub::kMaxAttributeKeyBytes + 1, 'k');
  const std::string long_value(pubsub::kMaxAttributeValueBytes + 1, 'v');
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"setAttributes", {{"schedsvc.error", "x"}}}}, "bookkeeping"},
      {{{"setAttributes", {{"CloudPubSubDeadLetterSourceDeliveryCount", "1"}}}}, "bookkeeping"},
      {{{"setAttributes", {{"", "x"}}}}, "empty"},
      {{{"setAttributes", {{long_key, "x"}}}}, "Pub/Sub allows"},
      {{{"setAttributes", {{"k", long_value}}}}, "Pub/Sub allows"},
  };
  for (const auto& [body, why] : cases) {
    auto r = ParseReplayRequest(body.dump());
    ASSERT_FALSE(r.ok()) << body.dump().substr(0, 80);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("setAttributes"));
    EXPECT_THAT(r.status().message(), HasSubstr(why));
    EXPECT_THAT(r.status().message(), Not(HasSubstr("--")));
  }
}

TEST(DeadLetterJsonTest, CountsAsJson) {
  cli::ReplayCounts c;
  c.replayed = 2;
  c.skipped = 1;
  EXPECT_EQ(ReplayCountsJson(c).dump(), R"({"failed":0,"replayed":2,"skipped":1})");
}

}  // namespace
}  // namespace schedsvc::console
