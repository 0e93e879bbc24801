#include "src/dispatch/backend_request.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/dispatch/backend_router.h"
#include "testing/fake_clock.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

constexpr char kMessageId[] = "msg-123";
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::int64_t kSmallBodyLimit = 16;

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char name[] = "/tmp/backend_request_test_XXXXXX";
    const int fd = ::mkstemp(name);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = name;
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class BackendRequestBuilderTest : public ::testing::Test {
 protected:
  BackendRequestBuilderTest() : user_("svc-user\n"), password_("s3cret-pw\n"), token_("tok-abc\n") {
    config_.routing_attribute = "backend";
    config::BackendConfig jobs;
    jobs.name = "jobs";
    jobs.url = "https://jobs.internal:8443/api/";
    jobs.auth.kind = config::AuthKind::kBasic;
    jobs.auth.username_file = user_.path();
    jobs.auth.password_file = password_.path();
    jobs.headers = {{"X-Team", "platform"}, {"Idempotency-Key", "from-config"}};
    jobs.timeout = absl::Seconds(45);
    config::BackendConfig reports;
    reports.name = "reports";
    reports.url = "http://reports:8080";
    reports.auth.kind = config::AuthKind::kBearer;
    reports.auth.token_file = token_.path();
    reports.max_body_bytes = kSmallBodyLimit;
    reports.tls_verify = false;
    config_.backends = {jobs, reports};
  }

  static pubsub::Message Message(std::map<std::string, std::string> attributes,
                                 std::string data = R"({"run":1})") {
    pubsub::Message message;
    message.message_id = kMessageId;
    message.data = std::move(data);
    message.attributes = std::move(attributes);
    return message;
  }

  // Routes `message` and builds attempt `attempt` with the routed backend's request builder, as the
  // dispatcher does.
  static absl::StatusOr<HttpRequest> Build(const BackendRouter& backends, const pubsub::Message& message,
                                           int attempt) {
    absl::StatusOr<Backend*> backend = backends.Route(message);
    if (!backend.ok()) return backend.status();
    return (*backend)->BuildRequest(message, attempt);
  }

  absl::optional<PermanentReason> ReasonOf(const pubsub::Message& message) {
    BackendRouter backends(config_, clock_);
    absl::StatusOr<HttpRequest> request = Build(backends, message, 1);
    EXPECT_FALSE(request.ok());
    if (request.ok()) return absl::nullopt;
    return GetPermanentReason(request.status());
  }

  testing::FakeClock clock_;
  TempFile user_;
  TempFile password_;
  TempFile token_;
  config::ServiceConfig config_;
};

TEST_F(BackendRequestBuilderTest, BuildsRequestWithAllHeaders) {
  BackendRouter backends(config_, clock_);
  pubsub::Message message = Message({{"backend", "jobs"},
                                 {"path", "/v1/runs?job=nightly"},
                                 {"method", "put"},
                                 {"traceparent", kTraceparent}});
  message.delivery_attempt = 4;
  absl::StatusOr<HttpRequest> request = Build(backends, message, 2);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "PUT");
  EXPECT_EQ(request->url, "https://jobs.internal:8443/api/v1/runs?job=nightly");
  EXPECT_EQ(request->body, R"({"run":1})");
  EXPECT_EQ(request->timeout, absl::Seconds(45));
  EXPECT_TRUE(request->tls_verify);
  const std::string basic = absl::StrCat("Basic ", absl::Base64Escape("svc-user:s3cret-pw"));
  EXPECT_THAT(request->headers, Contains(Pair("Authorization", basic)));
  EXPECT_THAT(request->headers, Contains(Pair("Idempotency-Key", kMessageId)));
  EXPECT_THAT(request->headers, Not(Contains(Pair("Idempotency-Key", "from-config"))));
  EXPECT_THAT(request->headers, Contains(Pair("X-Delivery-Attempt", "2")));
  EXPECT_THAT(request->headers, Contains(Pair("X-Pubsub-Delivery-Attempt", "4")));
  EXPECT_THAT(request->headers, Contains(Pair("traceparent", kTraceparent)));
  EXPECT_THAT(request->headers, Contains(Pair("Content-Type", "application/json")));
  EXPECT_THAT(request->headers, Contains(Pair("User-Agent", std::string(UserAgent()))));
  EXPECT_THAT(request->headers, Contains(Pair("X-Team", "platform")));
  EXPECT_TRUE(absl::StartsWith(UserAgent(), "schedule-service/"));
}

TEST_F(BackendRequestBuilderTest, DefaultsToPostBaseUrlAndDefaultBackend) {
  config_.default_backend = "reports";
  BackendRouter backends(config_, clock_);
  absl::StatusOr<HttpRequest> request = Build(backends, Message({{"content_type", "text/plain"}}), 1);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, "http://reports:8080");
  EXPECT_FALSE(request->tls_verify);
  EXPECT_THAT(request->headers, Contains(Pair("Authorization", "Bearer tok-abc")));
  EXPECT_THAT(request->headers, Contains(Pair("Content-Type", "text/plain")));
  EXPECT_FALSE(FindHeader(request->headers, "traceparent").has_value());
  EXPECT_FALSE(FindHeader(request->headers, "X-Pubsub-Delivery-Attempt").has_value());
}

TEST_F(BackendRequestBuilderTest, DropsMalformedTraceparent) {
  BackendRouter backends(config_, clock_);
  absl::StatusOr<HttpRequest> request =
      Build(backends, Message({{"backend", "jobs"}, {"traceparent", "00-zz-\r\nX: y"}}), 1);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(FindHeader(request->headers, "traceparent").has_value());
}

TEST_F(BackendRequestBuilderTest, UnknownOrMissingBackendIsPermanent) {
  EXPECT_EQ(ReasonOf(Message({{"backend", "nope"}})), PermanentReason::kUnknownBackend);
  EXPECT_EQ(ReasonOf(Message({})), PermanentReason::kUnknownBackend);
}

TEST_F(BackendRequestBuilderTest, RejectsBadMethodsContentTypesAndBodies) {
  EXPECT_EQ(ReasonOf(Message({{"backend", "jobs"}, {"method", "TRACE"}})),
            PermanentReason::kInvalidMethod);
  EXPECT_EQ(ReasonOf(Message({{"backend", "jobs"}, {"method", "CONNECT"}})),
            PermanentReason::kInvalidMethod);
  EXPECT_EQ(ReasonOf(Message({{"backend", "jobs"}, {"content_type", "a\r\nX-Evil: 1"}})),
            PermanentReason::kInvalidContentType);
  EXPECT_EQ(ReasonOf(Message({{"backend", "reports"}}, std::string(kSmallBodyLimit + 1, 'x'))),
            PermanentReason::kBodyTooLarge);
  BackendRouter backends(config_, clock_);
  EXPECT_TRUE(Build(backends, Message({{"backend", "reports"}}, std::string(kSmallBodyLimit, 'x')), 1)
                  .ok());
}

TEST_F(BackendRequestBuilderTest, PathCanNeverLeaveTheConfiguredHost) {
  const std::vector<std::string> bad_paths = {
      "relative",        "//evil.example/x", "/a//b",          "http://evil/",
      "/../etc/passwd",  "/a/../../b",       "/a/%2e%2e/b",    "/a/.%2E/b",
      "/a/%2E%2e",       "/a/%2F%2Fevil",    "/a\\b",          "/a%5Cb",
      "/a\r\nHost: x",   "/a%0d%0aX: y",     "/a b",           "/a#frag",
      "/a/%zz",          "/a/%4",            "/a/./b",         "/\xc3\xa9",
      "@evil.example/x", "/a/%00",
  };
  for (const std::string& path : bad_paths) {
    EXPECT_EQ(ReasonOf(Message({{"backend", "jobs"}, {"path", path}})),
              PermanentReason::kInvalidPath)
        << path;
  }
}

TEST_F(BackendRequestBuilderTest, AcceptsOrdinaryPaths) {
  BackendRouter backends(config_, clock_);
  for (const std::string path : {"/", "/runs", "/runs/", "/a/b-c_d.e~f/%20x", "/a?x=1&y=a:b",
                                 "/v1/jobs/..hidden", "/a/...", "/users/@me"}) {
    absl::StatusOr<HttpRequest> request =
        Build(backends, Message({{"backend", "jobs"}, {"path", path}}), 1);
    ASSERT_TRUE(request.ok()) << path << ": " << request.status();
    EXPECT_EQ(request->url, absl::StrCat("https://jobs.internal:8443/api", path));
  }
}

TEST_F(BackendRequestBuilderTest, UnreadableCredentialIsRetryableAndHidesNothingSecret) {
  config_.backends[0].auth.password_file = "/nonexistent/schedsvc/password";
  BackendRouter backends(config_, clock_);
  absl::StatusOr<HttpRequest> request = Build(backends, Message({{"backend", "jobs"}}), 1);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(GetPermanentReason(request.status()).has_value());
  EXPECT_THAT(std::string(request.status().message()), ::testing::HasSubstr("/nonexistent"));
  EXPECT_THAT(std::string(request.status().message()), Not(::testing::HasSubstr("svc-user")));
}

TEST_F(BackendRequestBuilderTest, CredentialFifoIsRetryableNotPermanent) {
  char dir[] = "/tmp/backend_request_test_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/password";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  config_.backends[0].auth.password_file = fifo;
  BackendRouter backends(config_, clock_);
  absl::StatusOr<HttpRequest> request = Build(backends, Message({{"backend", "jobs"}}), 1);
  ::unlink(fifo.c_str());
  ::rmdir(dir);
  ASSERT_FALSE(request.ok());
  EXPECT_FALSE(GetPermanentReason(request.status()).has_value());
  EXPECT_THAT(std::string(request.status().message()), ::testing::HasSubstr(fifo));
}

TEST_F(BackendRequestBuilderTest, TokenWithLineBreakInjectsNoHeaderAndIsRetryable) {
  TempFile hostile_token("tok-abc\r\nX-Injected: yes\n");
  config_.backends[1].auth.token_file = hostile_token.path();
  BackendRouter backends(config_, clock_);
  absl::StatusOr<HttpRequest> request = Build(backends, Message({{"backend", "reports"}}), 1);
  ASSERT_FALSE(request.ok()) << "a request was built; its headers would carry the injected line";
  EXPECT_FALSE(GetPermanentReason(request.status()).has_value());
  EXPECT_THAT(std::string(request.status().message()), ::testing::HasSubstr(hostile_token.path()));
  EXPECT_THAT(std::string(request.status().message()), Not(::testing::HasSubstr("tok-abc")));
  EXPECT_THAT(std::string(request.status().message()), Not(::testing::HasSubstr("X-Injected")));
}

TEST_F(BackendRequestBuilderTest, BasicUserNameWithColonIsRetryableAndHidesTheName) {
  TempFile colon_user("svc:user\n");
  config_.backends[0].auth.username_file = colon_user.path();
  BackendRouter backends(config_, clock_);
  absl::StatusOr<HttpRequest> request = Build(backends, Message({{"backend", "jobs"}}), 1);
  ASSERT_FALSE(request.ok());
  EXPECT_FALSE(GetPermanentReason(request.status()).has_value());
  EXPECT_THAT(std::string(request.status().message()), ::testing::HasSubstr(colon_user.path()));
  EXPECT_THAT(std::string(request.status().message()), Not(::testing::HasSubstr("svc")));
}

TEST(PermanentReasonTest, NamesMatchMetricsContract) {
  EXPECT_EQ(PermanentReasonName(PermanentReason::kUnknownBackend), "unknown_backend");
  EXPECT_EQ(PermanentReasonName(PermanentReason::kInvalidPath), "invalid_path");
  EXPECT_EQ(PermanentReasonName(PermanentReason::kInvalidMethod), "invalid_method");
  EXPECT_EQ(PermanentReasonName(PermanentReason::kBodyTooLarge), "body_too_large");
  EXPECT_EQ(PermanentReasonName(PermanentReason::kHttp4xx), "http_4xx");
  EXPECT_EQ(GetPermanentReason(PermanentError(PermanentReason::kInvalidPath, "x")),
            PermanentReason::kInvalidPath);
  EXPECT_EQ(GetPermanentReason(absl::InvalidArgumentError("plain")), absl::nullopt);
}

}  // namespace
}  // namespace schedsvc::dispatch
