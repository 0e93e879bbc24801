#include "src/push/jwks_url_fetcher.h"

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "src/common/http_server_limits.h"
#include "src/push/oidc_push_authenticator.h"
#include "testing/fake_clock.h"
#include "testing/oidc_test_tokens.h"

namespace schedsvc::push_internal {
namespace {

using ::testing::HasSubstr;

constexpr char kLoopback[] = "127.0.0.1";
constexpr char kPath[] = "/oauth2/v3/certs";
constexpr char kAudience[] = "https://push.example.com/pubsub/push";
constexpr char kPusher[] = "pusher@project.iam.gserviceaccount.com";
constexpr std::int64_t kMaxAgeSeconds = 600;
constexpr absl::Duration kMaxAge = absl::Seconds(kMaxAgeSeconds);
constexpr int kRandomKidTokens = 10;
// Bounded wait for the server's accept loop to start (stop() is a no-op before it runs).
constexpr int kNotFound = 404;

// A JWKS endpoint on loopback: serves the body and Cache-Control the test sets, and counts requests.
class JwksServer {
 public:
  JwksServer() {
    server_.Get(kPath, [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      absl::MutexLock lock(&mu_);
      if (status_ != 200) {
        res.status = status_;
        return;
      }
      if (!cache_control_.empty()) res.set_header("Cache-Control", cache_control_);
      res.set_content(body_, "application/json");
    });
    port_ = BindHttpServer(server_, kLoopback, 0);
    thread_ = ServeInBackground(server_);
  }
  ~JwksServer() {
    server_.stop();
    thread_.join();
  }
  void Serve(std::string body, std::string cache_control, int status = 200) {
    absl::MutexLock lock(&mu_);
    body_ = std::move(body);
    cache_control_ = std::move(cache_control);
    status_ = status;
  }
  std::string url() const { return absl::StrCat("http://", kLoopback, ":", port_, kPath); }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::atomic<int> requests_{0};
  absl::Mutex mu_;
  std::string body_ ABSL_GUARDED_BY(mu_);
  std::string cache_control_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 200;
};

class JwksUrlFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key1_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate("key-1"));
    key2_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate("key-2"));
  }
  static void TearDownTestSuite() {
    delete key1_;
    delete key2_;
  }
  static testing::RsaTestKey* key1_;
  static testing::RsaTestKey* key2_;
  JwksServer server_;
};
testing::RsaTestKey* JwksUrlFetcherTest::key1_ = nullptr;
testing::RsaTestKey* JwksUrlFetcherTest::key2_ = nullptr;

TEST(CacheControlMaxAgeTest, ReadsMaxAgeAndTreatsNoCacheAsZero) {
  EXPECT_EQ(CacheControlMaxAge("public, max-age=21600, must-revalidate, no-transform"), absl::Seconds(21600));
  EXPECT_EQ(CacheControlMaxAge("MAX-AGE=5"), absl::Seconds(5));
  EXPECT_EQ(CacheControlMaxAge("no-cache"), absl::ZeroDuration());
  EXPECT_EQ(CacheControlMaxAge("max-age=60, no-store"), absl::ZeroDuration());
  EXPECT_EQ(CacheControlMaxAge("public"), std::nullopt);
  EXPECT_EQ(CacheControlMaxAge("max-age=soon"), std::nullopt);
  EXPECT_EQ(CacheControlMaxAge("max-age=-1"), std::nullopt);
  EXPECT_EQ(CacheControlMaxAge(""), std::nullopt);
}

TEST(JwksUrlFetcherMakeTest, OnlyHttpsOrLoopbackHttpIsAccepted) {
  EXPECT_TRUE(JwksUrlFetcher::Make("https://www.googleapis.com/oauth2/v3/certs").ok());
  EXPECT_TRUE(JwksUrlFetcher::Make("http://127.0.0.1:8080/certs").ok());
  EXPECT_TRUE(JwksUrlFetcher::Make("http://localhost/certs").ok());
  EXPECT_TRUE(JwksUrlFetcher::Make("http://[::1]:9/certs").ok());
  for (const char* url : {"http://keys.example.com/certs", "http://127.0.0.1.example.com/certs",
                          "ftp://127.0.0.1/certs", "not a url", ""}) {
    EXPECT_EQ(JwksUrlFetcher::Make(url).status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
  absl::Status with_password = JwksUrlFetcher::Make("http://user:s3cret@keys.example.com/certs").status();
  EXPECT_THAT(with_password.message(), ::testing::Not(HasSubstr("s3cret")));
}

TEST_F(JwksUrlFetcherTest, FetchesTheBodyAndItsMaxAge) {
  server_.Serve(testing::JwksJson({key1_}), absl::StrCat("public, max-age=", kMaxAgeSeconds));
  absl::StatusOr<std::unique_ptr<JwksUrlFetcher>> fetcher = JwksUrlFetcher::Make(server_.url());
  ASSERT_TRUE(fetcher.ok()) << fetcher.status();
  absl::StatusOr<JwksDocument> doc = (*fetcher)->Fetch();
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->body, testing::JwksJson({key1_}));
  EXPECT_EQ(doc->max_age, kMaxAge);
}

TEST_F(JwksUrlFetcherTest, AnErrorAnswerAnOversizedBodyOrNoServerIsUnavailableNamingTheUrl) {
  std::unique_ptr<JwksUrlFetcher> fetcher = *JwksUrlFetcher::Make(server_.url());
  server_.Serve("", "", kNotFound);
  absl::Status status = fetcher->Fetch().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr(server_.url()));
  EXPECT_THAT(status.message(), HasSubstr("404"));
  server_.Serve(std::string(kMaxJwksBytes + 1, ' '), "");
  status = fetcher->Fetch().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("larger than"));
  // A port nothing listens on: the server's, after it is stopped.
  std::string closed_url;
  {
    JwksServer gone;
    closed_url = gone.url();
  }
  status = (*JwksUrlFetcher::Make(closed_url))->Fetch().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr(closed_url));
}

// The whole path through the factory: keys from the URL, cached by Cache-Control, refetched on rotation,
// and never fetched more often than the refetch interval, however many unknown key ids come.
TEST_F(JwksUrlFetcherTest, TheAuthenticatorCachesByMaxAgeAndRefetchesOnRotationAtMostOncePerInterval) {
  server_.Serve(testing::JwksJson({key1_}), absl::StrCat("max-age=", kMaxAgeSeconds));
  testing::FakeClock clock;
  config::PushOidcConfig config;
  config.audience = kAudience;
  config.service_accounts = {kPusher};
  config.jwks_url = server_.url();
  absl::StatusOr<std::unique_ptr<push::PushAuthenticator>> made = push::MakeOidcPushAuthenticator(config, clock);
  ASSERT_TRUE(made.ok()) << made.status();
  push::PushAuthenticator& authenticator = **made;
  auto bearer = [&](const testing::RsaTestKey& key, const std::string& kid) {
    return absl::StrCat("Bearer ",
                        key.Sign(testing::Rs256Header(kid), testing::PushTokenClaims(kAudience, kPusher, clock.Now())));
  };
  EXPECT_EQ(server_.requests(), 0);  // nothing fetched before the first token
  EXPECT_TRUE(authenticator.Check(bearer(*key1_, "key-1")).ok());
  EXPECT_TRUE(authenticator.Check(bearer(*key1_, "key-1")).ok());
  EXPECT_EQ(server_.requests(), 1);

  // Rotation: the endpoint publishes key-2. Within the refetch interval a key-2 token is refused from the
  // cache, as is a flood of made-up key ids, with no fetch.
  server_.Serve(testing::JwksJson({key1_, key2_}), absl::StrCat("max-age=", kMaxAgeSeconds));
  EXPECT_EQ(authenticator.Check(bearer(*key2_, "key-2")).code(), absl::StatusCode::kPermissionDenied);
  for (int i = 0; i < kRandomKidTokens; ++i) {
    EXPECT_EQ(authenticator.Check(bearer(*key1_, absl::StrCat("random-", i))).code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(server_.requests(), 1);
  clock.AdvanceTime(kMinRefetchInterval);
  EXPECT_TRUE(authenticator.Check(bearer(*key2_, "key-2")).ok());
  EXPECT_EQ(server_.requests(), 2);
  for (int i = 0; i < kRandomKidTokens; ++i) {
    EXPECT_EQ(authenticator.Check(bearer(*key1_, absl::StrCat("random-", i))).code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(server_.requests(), 2);

  // Max-age: fresh until it has passed since the last fetch, then fetched once.
  clock.AdvanceTime(kMaxAge - absl::Seconds(1));
  EXPECT_TRUE(authenticator.Check(bearer(*key1_, "key-1")).ok());
  EXPECT_EQ(server_.requests(), 2);
  clock.AdvanceTime(absl::Seconds(1));
  EXPECT_TRUE(authenticator.Check(bearer(*key1_, "key-1")).ok());
  EXPECT_EQ(server_.requests(), 3);
}

}  // namespace
}  // namespace schedsvc::push_internal
