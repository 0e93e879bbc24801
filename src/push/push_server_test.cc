#include "src/push/push_server.h"

#include <httplib.h>

#include <atomic>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace schedsvc::push {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubscription[] = "projects/p1/subscriptions/orders-push";
constexpr char kPath[] = "/pubsub/push";
constexpr char kToken[] = "Bearer eyJ-secret-token-value";
constexpr int kNoContent = 204;
constexpr int kBadRequest = 400;
constexpr int kUnauthorized = 401;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr int kMethodNotAllowed = 405;
constexpr int kTooManyRequests = 429;
constexpr int kServiceUnavailable = 503;
// Bounds every wait of a test for the server; never reached when the server behaves.
constexpr absl::Duration kTestBound = absl::Seconds(20);
constexpr int kClientTimeoutSeconds = 30;

std::string Envelope(const std::string& id) {
  return absl::StrCat(R"({"message":{"data":")", absl::Base64Escape("{}"), R"(","messageId":")", id,
                      R"(","attributes":{"backend":"orders"}},"subscription":")", kSubscription, "\"}");
}

// Answers Check() with a scripted status and records the headers it saw.
class FakeAuthenticator : public PushAuthenticator {
 public:
  absl::Status Check(absl::string_view authorization) override {
    absl::MutexLock lock(&mu_);
    entered_.push_back(clock_.Now());
    seen_.emplace_back(authorization);
    // Takes a moment, as a key fetch would: the clock moves on while the request is checked.
    absl::SleepFor(kCheckTakes);
    return result_;
  }
  // When each Check() began, on the server's steady clock.
  std::vector<absl::Time> entered() {
    absl::MutexLock lock(&mu_);
    return entered_;
  }
  void Set(absl::Status s) {
    absl::MutexLock lock(&mu_);
    result_ = std::move(s);
  }
  std::vector<std::string> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  static constexpr absl::Duration kCheckTakes = absl::Milliseconds(2);
  SteadyClock clock_;  // one anchor per process: the same readings as the server's
  absl::Mutex mu_;
  std::vector<absl::Time> entered_ ABSL_GUARDED_BY(mu_);
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

// How the handler settles what it receives.
enum class Settle { kAck, kNack, kKeep };

class PushServerTest : public ::testing::Test {
 protected:
  void Start(PushServerOptions options = {}, bool with_auth = true) {
    options.listen = "127.0.0.1:0";
    options.subscription = kSubscription;
    server_ = std::make_unique<PushServer>(
        options, with_auth ? &auth_ : nullptr,
        [this](pubsub::Message m, pubsub::AckHandle h) {
          absl::MutexLock lock(&mu_);
          received_.push_back(m);
          switch (settle_) {
            case Settle::kAck:
              std::move(h).Ack();
              break;
            case Settle::kNack:
              std::move(h).NackWithDelay(absl::Seconds(60));
              break;
            case Settle::kKeep:
              kept_.push_back(std::move(h));
              break;
          }
        },
        steady_, metrics_, log_);
    ASSERT_TRUE(server_->Start().ok());
  }

  httplib::Result Post(const std::string& body, const std::string& path = kPath,
                       httplib::Headers headers = {{"Authorization", kToken}}) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(kClientTimeoutSeconds);
    return c.Post(path.c_str(), headers, body, "application/json");
  }

  std::size_t received_count() {
    absl::MutexLock lock(&mu_);
    return received_.size();
  }
  std::size_t kept_count() {
    absl::MutexLock lock(&mu_);
    return kept_.size();
  }
  // Waits (bounded) until `n` messages are kept unsettled.
  bool WaitKept(std::size_t n) {
    const absl::Time end = absl::Now() + kTestBound;
    while (kept_count() < n && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
    return kept_count() >= n;
  }
  void SettleKept(bool ack) {
    std::vector<pubsub::AckHandle> kept;
    {
      absl::MutexLock lock(&mu_);
      kept.swap(kept_);
    }
    for (auto& h : kept) {
      if (ack) {
        std::move(h).Ack();
      } else {
        std::move(h).Nack();
      }
    }
  }
  std::string Scrape() { return prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()); }
  std::string Count(absl::string_view result, int n) {
    return absl::StrCat("schedsvc_push_requests_total{result=\"", result, "\"} ", n);
  }

  SteadyClock steady_;
  SystemClock wall_;
  metrics::ServiceMetrics metrics_{kSubscription, {"orders"}};
  std::ostringstream log_text_;
  JsonLogger log_{log_text_, wall_};
  FakeAuthenticator auth_;
  absl::Mutex mu_;
  Settle settle_ ABSL_GUARDED_BY(mu_) = Settle::kAck;
  std::vector<pubsub::Message> received_ ABSL_GUARDED_BY(mu_);
  std::vector<pubsub::AckHandle> kept_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<PushServer> server_;
};

TEST_F(PushServerTest, AckedMessageIsAnswered204WithTheMessageDispatched) {
  Start();
  auto r = Post(Envelope("m1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kNoContent);
  ASSERT_EQ(received_count(), 1u);
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(received_[0].message_id, "m1");
  EXPECT_EQ(received_[0].data, "{}");
  EXPECT_EQ(received_[0].attributes.at("backend"), "orders");
  EXPECT_NE(received_[0].receive_time, absl::InfinitePast());
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushAcked, 1)));
}

// The push deadline runs from when the request arrived, not from after its token was checked (a key
// fetch) and its body read: the message's receive time, from which its budget is measured, is taken first.
TEST_F(PushServerTest, TheBudgetStartsBeforeAuthenticationAndTheBodyRead) {
  Start();
  auto r = Post(Envelope("m1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kNoContent);
  ASSERT_EQ(received_count(), 1u);
  ASSERT_EQ(auth_.entered().size(), 1u);
  absl::MutexLock lock(&mu_);
  EXPECT_LE(received_[0].receive_time, auth_.entered()[0]);
}

// A second push subscription aimed at the same endpoint would have its messages dead-lettered and
// replayed as the configured subscription's: a push from another subscription is refused, never dispatched.
TEST_F(PushServerTest, APushFromAnotherSubscriptionIsABadRequest) {
  Start();
  std::string body = Envelope("m1");
  const std::string other = "projects/p1/subscriptions/someone-elses";
  body.replace(body.find(kSubscription), std::string(kSubscription).size(), other);
  auto r = Post(body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kBadRequest);
  EXPECT_EQ(received_count(), 0u);
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushBadRequest, 1)));
  EXPECT_THAT(log_text_.str(), HasSubstr("another subscription"));
}

TEST_F(PushServerTest, NackedMessageIsAnswered503) {
  Start();
  {
    absl::MutexLock lock(&mu_);
    settle_ = Settle::kNack;
  }
  auto r = Post(Envelope("m1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kServiceUnavailable);
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushNacked, 1)));
}

TEST_F(PushServerTest, WrongPathAndMethodAreRefusedWithoutDispatch) {
  Start();
  auto other = Post(Envelope("m1"), "/elsewhere");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, kNotFound);
  httplib::Client c("127.0.0.1", server_->port());
  auto get = c.Get(kPath);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, kMethodNotAllowed);
  EXPECT_EQ(received_count(), 0u);
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushBadRequest, 1)));
}

TEST_F(PushServerTest, RefusedAuthenticationAnswers401Or403Or503WithoutDispatchOrTokenInLogs) {
  Start();
  const std::vector<std::pair<absl::Status, int>> cases = {
      {absl::UnauthenticatedError("no bearer token"), kUnauthorized},
      {absl::PermissionDeniedError("audience does not match"), kForbidden},
      {absl::UnavailableError("signing keys cannot be fetched"), kServiceUnavailable},
  };
  for (const auto& [status, code] : cases) {
    auth_.Set(status);
    auto r = Post(Envelope("m1"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, code) << status;
  }
  EXPECT_EQ(received_count(), 0u);
  EXPECT_THAT(auth_.seen(), ::testing::Each(std::string(kToken)));
  const std::string scrape = Scrape();
  EXPECT_THAT(scrape, HasSubstr(Count(metrics::kPushUnauthenticated, 1)));
  EXPECT_THAT(scrape, HasSubstr(Count(metrics::kPushForbidden, 1)));
  EXPECT_THAT(scrape, HasSubstr(Count(metrics::kPushUnavailable, 1)));
  EXPECT_THAT(log_text_.str(), HasSubstr("audience does not match"));
  EXPECT_THAT(log_text_.str(), Not(HasSubstr("secret-token")));
}

// Anyone who can reach the endpoint can send refused requests at any rate: they are all counted, but
// logged at most once per kind per interval, so they cannot flood the log or crowd out other lines.
TEST_F(PushServerTest, RefusalsAreCountedEachButLoggedRateLimited) {
  Start();
  constexpr int kRefused = 5;
  auth_.Set(absl::PermissionDeniedError("audience does not match"));
  for (int i = 0; i < kRefused; ++i) {
    auto r = Post(Envelope("m1"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, kForbidden);
  }
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushForbidden, kRefused)));
  const std::string log = log_text_.str();
  std::size_t lines = 0;
  for (std::size_t at = log.find("refused by authentication"); at != std::string::npos;
       at = log.find("refused by authentication", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
}

TEST_F(PushServerTest, WithAuthNoneEveryRequestIsLetThrough) {
  Start({}, /*with_auth=*/false);
  auto r = Post(Envelope("m1"), kPath, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kNoContent);
}

TEST_F(PushServerTest, RequestThatIsNeitherFormatIsAnswered400AndNeverDispatched) {
  Start();
  auto r = Post("");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kBadRequest);
  auto broken = Post(absl::StrCat(R"({"message":{"data":"%%%"},"subscription":")", kSubscription, "\"}"));
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, kBadRequest);
  EXPECT_EQ(received_count(), 0u);
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushBadRequest, 2)));
}

TEST_F(PushServerTest, BeyondMaxOutstandingMessagesARequestIsAnswered429AtOnce) {
  PushServerOptions options;
  options.max_outstanding_messages = 1;
  Start(options);
  {
    absl::MutexLock lock(&mu_);
    settle_ = Settle::kKeep;
  }
  auto first = std::async(std::launch::async, [&] { return Post(Envelope("m1")); });
  ASSERT_TRUE(WaitKept(1));
  auto second = Post(Envelope("m2"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, kTooManyRequests);
  SettleKept(/*ack=*/true);
  auto r = first.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kNoContent);
  // The place is free again once the first message left the service.
  {
    absl::MutexLock lock(&mu_);
    settle_ = Settle::kAck;
  }
  auto third = Post(Envelope("m3"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, kNoContent);
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushServiceFull, 1)));
}

TEST_F(PushServerTest, AfterStopAcceptingLateRequestsGet503AndWaitingOnesAreAnswered503WhenAbandoned) {
  Start();
  {
    absl::MutexLock lock(&mu_);
    settle_ = Settle::kKeep;
  }
  auto waiting = std::async(std::launch::async, [&] { return Post(Envelope("m1")); });
  ASSERT_TRUE(WaitKept(1));
  server_->StopAccepting();
  auto late = Post(Envelope("m2"));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, kServiceUnavailable);
  EXPECT_EQ(received_count(), 1u);  // the late one was not dispatched
  server_->AbandonWaiting();
  auto r = waiting.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kServiceUnavailable);
  SettleKept(/*ack=*/true);  // a settle after the answer changes nothing
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushUnavailable, 2)));
  EXPECT_THAT(Scrape(), HasSubstr(Count(metrics::kPushAcked, 0)));
}

TEST_F(PushServerTest, UnsettledRequestIsAnswered503BeforeTheAckDeadline) {
  PushServerOptions options;
  // The answer goes 1 s before the deadline: this waits about 200 ms.
  options.ack_deadline = absl::Milliseconds(1200);
  Start(options);
  {
    absl::MutexLock lock(&mu_);
    settle_ = Settle::kKeep;
  }
  auto r = Post(Envelope("m1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kServiceUnavailable);
  EXPECT_THAT(log_text_.str(), HasSubstr("answered unsettled at its deadline"));
  SettleKept(/*ack=*/true);
}

}  // namespace
}  // namespace schedsvc::push
