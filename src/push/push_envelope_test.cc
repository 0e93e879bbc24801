#include "src/push/push_envelope.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::push {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kSubscription[] = "projects/p1/subscriptions/orders-push";
constexpr char kMessageId[] = "4711";
constexpr char kData[] = "{\"job\":\"nightly\"}";
constexpr char kPublishTime[] = "2026-12-07T06:30:00.123Z";
constexpr char kMadeUpDigits[] = "0123456789abcdef0123456789abcdef";

std::string FixedId() { return kMadeUpDigits; }

absl::Time PublishTime() {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, kPublishTime, &t, &error)) << error;
  return t;
}

// The wrapped envelope as Pub/Sub sends it: camelCase and snake_case names side by side.
std::string PubsubEnvelope(const std::string& extra_top_level = "") {
  return absl::StrCat(R"({"message":{"attributes":{"backend":"orders","path":"/jobs/run"},"data":")",
                      absl::Base64Escape(kData), R"(","messageId":")", kMessageId, R"(","message_id":")",
                      kMessageId, R"(","publishTime":")", kPublishTime, R"(","publish_time":")", kPublishTime,
                      R"("},"subscription":")", kSubscription, "\"", extra_top_level, "}");
}

absl::StatusOr<PushedMessage> Parse(const std::string& body,
                                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  PushRequestParts parts;
  parts.body = body;
  parts.headers = std::move(headers);
  return ParsePushRequest(parts, FixedId);
}

TEST(PushEnvelopeTest, WrappedEnvelopeAsPubsubSendsIt) {
  auto parsed = Parse(PubsubEnvelope());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, PushFormat::kWrapped);
  EXPECT_EQ(parsed->subscription, kSubscription);
  EXPECT_EQ(parsed->message.message_id, kMessageId);
  EXPECT_EQ(parsed->message.data, kData);
  EXPECT_THAT(parsed->message.attributes, UnorderedElementsAre(Pair("backend", "orders"), Pair("path", "/jobs/run")));
  EXPECT_EQ(parsed->message.publish_time, PublishTime());
  EXPECT_EQ(parsed->message.delivery_attempt, 0);  // only with a dead-letter policy
  EXPECT_EQ(parsed->message.receive_time, absl::InfinitePast());  // stamped by the server
}

// Captured from the official emulator (cloud-pubsub-emulator) pushing one message: escaped slashes, both
// name styles, no deliveryAttempt even with a dead-letter policy.
TEST(PushEnvelopeTest, WrappedEnvelopeAsTheEmulatorSendsIt) {
  constexpr char kEmulatorBody[] =
      R"({"subscription":"projects\/capp\/subscriptions\/sub-wrapped","message":{"publishTime":)"
      R"("2026-12-07T07:18:24.602Z","data":"eyJrIjoidiJ9","publish_time":"2026-12-07T07:18:24.602Z",)"
      R"("messageId":"1","attributes":{"path":"\/jobs\/run","backend":"orders"},"message_id":"1"}})";
  auto parsed = Parse(kEmulatorBody);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, PushFormat::kWrapped);
  EXPECT_EQ(parsed->subscription, "projects/capp/subscriptions/sub-wrapped");
  EXPECT_EQ(parsed->message.message_id, "1");
  EXPECT_EQ(parsed->message.data, R"({"k":"v"})");
  EXPECT_THAT(parsed->message.attributes, UnorderedElementsAre(Pair("backend", "orders"), Pair("path", "/jobs/run")));
  EXPECT_EQ(parsed->message.publish_time, absl::FromUnixMillis(1796627904602));
}

// The headers the emulator sends with --push-no-wrapper-write-metadata (Java's HTTP client names them).
TEST(PushEnvelopeTest, UnwrappedWithMetadataAsTheEmulatorSendsIt) {
  auto parsed = Parse(R"({"k":"v"})", {{"backend", "orders"},
                                       {"path", "/jobs/run"},
                                       {"x-goog-pubsub-message-id", "1"},
                                       {"x-goog-pubsub-publish-time", "2026-12-07T07:18:24.602Z"},
                                       {"x-goog-pubsub-subscription-name", "projects/capp/subscriptions/sub-m"},
                                       {"User-Agent", "Java/17.0.15"},
                                       {"Host", "127.0.0.1:18612"},
                                       {"Accept", "text/html, image/gif, image/jpeg, */*; q=0.2"},
                                       {"Connection", "keep-alive"},
                                       {"Content-type", "application/x-www-form-urlencoded"},
                                       {"Content-Length", "9"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, PushFormat::kUnwrappedWithMetadata);
  EXPECT_EQ(parsed->message.message_id, "1");
  EXPECT_EQ(parsed->subscription, "projects/capp/subscriptions/sub-m");
  EXPECT_EQ(parsed->message.publish_time, absl::FromUnixMillis(1796627904602));
  EXPECT_THAT(parsed->message.attributes, UnorderedElementsAre(Pair("backend", "orders"), Pair("path", "/jobs/run")));
}

TEST(PushEnvelopeTest, WrappedEnvelopeCarriesTheDeliveryAttemptWhenPresent) {
  auto parsed = Parse(PubsubEnvelope(R"(,"deliveryAttempt":3)"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->message.delivery_attempt, 3);
}

TEST(PushEnvelopeTest, WrappedEnvelopeWithFieldsPubsubMayAddIsAccepted) {
  auto parsed = Parse(PubsubEnvelope(R"(,"somethingNew":{"x":1})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->message.message_id, kMessageId);
}

TEST(PushEnvelopeTest, WrappedEnvelopeWithoutDataOrAttributesIsAccepted) {
  auto parsed = Parse(absl::StrCat(R"({"message":{"messageId":"1"},"subscription":")", kSubscription, "\"}"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->message.data, "");
  EXPECT_THAT(parsed->message.attributes, IsEmpty());
}

TEST(PushEnvelopeTest, BrokenEnvelopesAreBadRequestsThatNeverEchoTheBody) {
  constexpr char kSecretLooking[] = "c2VjcmV0";
  const std::string sub = absl::StrCat(R"(,"subscription":")", kSubscription, "\"");
  const std::vector<std::string> bad = {
      // no message id
      absl::StrCat(R"({"message":{"data":")", kSecretLooking, "\"}", sub, "}"),
      // data not base64
      absl::StrCat(R"({"message":{"messageId":"1","data":"%%not base64 )", kSecretLooking, "\"}", sub, "}"),
      // publish time not a time
      absl::StrCat(R"({"message":{"messageId":"1","publishTime":"yesterday )", kSecretLooking, "\"}", sub, "}"),
      // attributes not a map of strings
      absl::StrCat(R"({"message":{"messageId":"1","attributes":[")", kSecretLooking, "\"]}", sub, "}"),
      // negative delivery attempt
      absl::StrCat(R"({"message":{"messageId":"1"},"deliveryAttempt":-1)", sub, "}"),
  };
  for (const std::string& body : bad) {
    auto parsed = Parse(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(std::string(parsed.status().message()), ::testing::Not(HasSubstr(kSecretLooking))) << body;
  }
}

// The message id becomes the backend request's Idempotency-Key header: anything but Pub/Sub's shape of id
// (letters, digits, '.', '_', '-'; at most 128) would let a pusher add headers to, or split, the request
// that carries the backend's credentials.
TEST(PushEnvelopeTest, MessageIdsThatAreNotPubsubsShapeAreBadRequests) {
  const std::string sub = absl::StrCat(R"(,"subscription":")", kSubscription, "\"");
  for (const std::string& id : {std::string(R"(1\r\nX-Injected: yes)"), std::string("1 2"),
                                std::string(R"(caf\u00e9)"), std::string(129, '7')}) {
    auto parsed = Parse(absl::StrCat(R"({"message":{"messageId":")", id, "\"}", sub, "}"));
    ASSERT_FALSE(parsed.ok()) << id;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << id;
  }
  auto from_header = Parse(kData, {{"x-goog-pubsub-message-id", "1\x01"}});
  EXPECT_EQ(from_header.status().code(), absl::StatusCode::kInvalidArgument);
  auto longest = Parse(absl::StrCat(R"({"message":{"messageId":")", std::string(128, '7'), "\"}", sub, "}"));
  EXPECT_TRUE(longest.ok()) << longest.status();
}

TEST(PushEnvelopeTest, EmptyBodyWithoutMetadataIsNeither) {
  auto parsed = Parse("");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("neither a push envelope nor an unwrapped message"));
}

TEST(PushEnvelopeTest, UnwrappedWithMetadataTakesAttributesAndMetadataFromHeaders) {
  auto parsed = Parse(kData, {{"Host", "svc.example.com"},
                              {"Content-Type", "application/octet-stream"},
                              {"Content-Length", "17"},
                              {"User-Agent", "CloudPubSub-Google"},
                              {"Authorization", "Bearer abc"},
                              {"Accept-Encoding", "gzip"},
                              {"X-Forwarded-For", "10.0.0.1"},
                              {"X-Cloud-Trace-Context", "abc/1"},
                              {"REMOTE_ADDR", "127.0.0.1"},
                              {"REMOTE_PORT", "5555"},
                              {"x-goog-pubsub-message-id", kMessageId},
                              {"x-goog-pubsub-publish-time", kPublishTime},
                              {"x-goog-pubsub-subscription-name", kSubscription},
                              {"x-goog-pubsub-ordering-key", "k1"},
                              {"x-goog-pubsub-delivery-attempt", "2"},
                              {"backend", "orders"},
                              {"path", "/jobs/run"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, PushFormat::kUnwrappedWithMetadata);
  EXPECT_EQ(parsed->message.message_id, kMessageId);
  EXPECT_EQ(parsed->message.data, kData);  // the body as is
  EXPECT_EQ(parsed->message.publish_time, PublishTime());
  EXPECT_EQ(parsed->message.ordering_key, "k1");
  EXPECT_EQ(parsed->message.delivery_attempt, 2);
  EXPECT_EQ(parsed->subscription, kSubscription);
  EXPECT_THAT(parsed->message.attributes, UnorderedElementsAre(Pair("backend", "orders"), Pair("path", "/jobs/run")));
}

TEST(PushEnvelopeTest, UnwrappedMetadataHeadersAreMatchedWithoutRegardToCase) {
  auto parsed = Parse("x", {{"X-Goog-PubSub-Message-Id", kMessageId}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->message.message_id, kMessageId);
}

TEST(PushEnvelopeTest, UnwrappedBodyThatLooksLikeAnEnvelopeIsStillTheData) {
  // With metadata headers the body is the data, whatever it looks like.
  const std::string body = PubsubEnvelope();
  auto parsed = Parse(body, {{"x-goog-pubsub-message-id", "99"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->message.data, body);
  EXPECT_EQ(parsed->message.message_id, "99");
}

TEST(PushEnvelopeTest, BadUnwrappedMetadataIsABadRequest) {
  EXPECT_FALSE(Parse("x", {{"x-goog-pubsub-message-id", ""}}).ok());
  EXPECT_FALSE(Parse("x", {{"x-goog-pubsub-message-id", "1"}, {"x-goog-pubsub-publish-time", "noon"}}).ok());
  EXPECT_FALSE(Parse("x", {{"x-goog-pubsub-message-id", "1"}, {"x-goog-pubsub-delivery-attempt", "two"}}).ok());
}

TEST(PushEnvelopeTest, UnwrappedWithoutMetadataIsTheBodyWithAMadeUpId) {
  for (const std::string& body : {std::string(kData), std::string("plain text"),
                                  std::string(R"({"message":{"text":"hello"}})")}) {
    auto parsed = Parse(body, {{"Content-Type", "application/json"}});
    ASSERT_TRUE(parsed.ok()) << body << ": " << parsed.status();
    EXPECT_EQ(parsed->format, PushFormat::kUnwrapped) << body;
    EXPECT_EQ(parsed->message.data, body);
    EXPECT_EQ(parsed->message.message_id, absl::StrCat("push-", kMadeUpDigits));
    EXPECT_THAT(parsed->message.attributes, IsEmpty());
    EXPECT_EQ(parsed->subscription, "");
  }
}

TEST(PushEnvelopeTest, TransportHeadersAreNeverAttributes) {
  for (const char* name : {"host", "Content-Type", "content-length", "User-Agent", "authorization", "Accept",
                           "accept-encoding", "Connection", "TE", "Transfer-Encoding", "Expect", "From", "Via",
                           "Forwarded", "X-Forwarded-Proto", "x-cloud-trace-context", "x-goog-pubsub-message-id",
                           "REMOTE_ADDR", "LOCAL_PORT"}) {
    EXPECT_TRUE(IsTransportHeader(name)) << name;
  }
  // Credentials and hop-by-hop headers a client or proxy adds would otherwise become attributes, and so be
  // copied into dead letters for whoever reads that topic.
  for (const char* name : {"Cookie", "Proxy-Authorization", "X-Serverless-Authorization", "Keep-Alive", "Upgrade",
                           "Priority", "Proxy-Connection", "Trailer", "X-Real-IP", "CF-Connecting-IP"}) {
    EXPECT_TRUE(IsTransportHeader(name)) << name;
  }
  for (const char* name : {"backend", "path", "method", "content_type", "traceparent", "x-team"}) {
    EXPECT_FALSE(IsTransportHeader(name)) << name;
  }
}

}  // namespace
}  // namespace schedsvc::push
