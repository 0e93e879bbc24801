#include "src/push/jwks_key_source.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "testing/fake_clock.h"
#include "testing/fake_jwks_fetcher.h"
#include "testing/oidc_test_tokens.h"

namespace schedsvc::push_internal {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kServedMaxAge = absl::Minutes(10);
constexpr absl::Duration kTick = absl::Seconds(1);
constexpr char kUnknownKid[] = "made-up";
// Calls with made-up key ids within one refetch interval.
constexpr int kRandomKidCalls = 20;
// Bound on waiting for a held fetch to start (it starts at once unless the code under test is broken).
constexpr absl::Duration kFetchStartBound = absl::Seconds(10);

class JwksKeySourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key1_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate("key-1"));
    key2_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate("key-2"));
  }
  static void TearDownTestSuite() {
    delete key1_;
    delete key2_;
  }
  JwksKeySource& Source() {
    if (source_ == nullptr) {
      source_ = std::make_unique<JwksKeySource>(std::make_unique<testing::FakeJwksFetcher>(endpoint_), clock_);
    }
    return *source_;
  }

  static testing::RsaTestKey* key1_;
  static testing::RsaTestKey* key2_;
  testing::FakeClock clock_;
  testing::FakeJwksEndpoint endpoint_;
  std::unique_ptr<JwksKeySource> source_;
};
testing::RsaTestKey* JwksKeySourceTest::key1_ = nullptr;
testing::RsaTestKey* JwksKeySourceTest::key2_ = nullptr;

TEST_F(JwksKeySourceTest, FetchesOnFirstUseAndServesFromTheCacheForTheMaxAge) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  EXPECT_EQ(*Source().KeyPem("key-1"), key1_->PublicKeyPem());
  clock_.AdvanceTime(kServedMaxAge - kTick);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 1);
  clock_.AdvanceTime(kTick);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, WithoutMaxAgeTheDefaultApplies) {
  endpoint_.Serve(testing::JwksJson({key1_}));
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  clock_.AdvanceTime(kDefaultJwksMaxAge - kTick);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 1);
  clock_.AdvanceTime(kTick);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, AHugeMaxAgeIsCappedAtADay) {
  endpoint_.Serve(testing::JwksJson({key1_}), kMaxCacheAge * 365);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  clock_.AdvanceTime(kMaxCacheAge);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, AnUnknownKidRefetchesAtMostOncePerInterval) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  ASSERT_TRUE(Source().KeyPem("key-1").ok());
  // Right after a fetch: refused from the cache, no fetch.
  for (int i = 0; i < kRandomKidCalls; ++i) {
    EXPECT_EQ(Source().KeyPem(absl::StrCat(kUnknownKid, i)).status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(endpoint_.fetches(), 1);
  clock_.AdvanceTime(kMinRefetchInterval);
  for (int i = 0; i < kRandomKidCalls; ++i) {
    EXPECT_EQ(Source().KeyPem(absl::StrCat(kUnknownKid, i)).status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, ARotatedKeyIsFoundWithOneRefetch) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  ASSERT_TRUE(Source().KeyPem("key-1").ok());
  endpoint_.Serve(testing::JwksJson({key1_, key2_}), kServedMaxAge);
  clock_.AdvanceTime(kMinRefetchInterval);
  EXPECT_EQ(*Source().KeyPem("key-2"), key2_->PublicKeyPem());
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, TheNotFoundMessageNeverContainsTheKid) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  absl::StatusOr<std::string> pem = Source().KeyPem(kUnknownKid);
  EXPECT_EQ(pem.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(pem.status().message(), ::testing::Not(HasSubstr(kUnknownKid)));
  EXPECT_THAT(pem.status().message(), HasSubstr("fake-jwks"));
}

TEST_F(JwksKeySourceTest, AFailedRefreshKeepsServingTheCachedKeys) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  ASSERT_TRUE(Source().KeyPem("key-1").ok());
  endpoint_.Fail(absl::UnavailableError("endpoint down"));
  clock_.AdvanceTime(kServedMaxAge);
  EXPECT_EQ(*Source().KeyPem("key-1"), key1_->PublicKeyPem());
  EXPECT_EQ(endpoint_.fetches(), 2);
  // Stale keys are served without a fetch until the interval has passed again.
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 2);
  clock_.AdvanceTime(kMinRefetchInterval);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 3);
}

TEST_F(JwksKeySourceTest, AMalformedDocumentAfterAGoodOneKeepsTheGoodKeys) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  ASSERT_TRUE(Source().KeyPem("key-1").ok());
  endpoint_.Serve("{\"keys\": \"oops\"}", kServedMaxAge);
  clock_.AdvanceTime(kServedMaxAge);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(Source().Refresh().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
}

TEST_F(JwksKeySourceTest, NoKeysEverIsUnavailableAndRetriedOnlyAfterTheInterval) {
  endpoint_.Fail(absl::UnavailableError("endpoint down"));
  absl::StatusOr<std::string> pem = Source().KeyPem("key-1");
  EXPECT_EQ(pem.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(pem.status().message(), HasSubstr("endpoint down"));
  EXPECT_EQ(Source().KeyPem("key-1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(endpoint_.fetches(), 1);
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  clock_.AdvanceTime(kMinRefetchInterval);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, ACachedKeyIsServedWhileAnotherCallerFetches) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  ASSERT_TRUE(Source().KeyPem("key-1").ok());
  clock_.AdvanceTime(kServedMaxAge);  // stale: the next call fetches
  absl::Notification started;
  absl::Notification release;
  endpoint_.HoldFetches(&started, &release);
  std::thread refresher([&] { EXPECT_TRUE(Source().KeyPem("key-1").ok()); });
  if (!started.WaitForNotificationWithTimeout(kFetchStartBound)) {
    release.Notify();
    refresher.join();
    FAIL() << "stale keys were not refetched";
  }
  // The fetch is in flight (and holds no lock): a cached key is served at once, without a second fetch.
  EXPECT_EQ(*Source().KeyPem("key-1"), key1_->PublicKeyPem());
  EXPECT_EQ(endpoint_.fetches(), 2);
  release.Notify();
  refresher.join();
  EXPECT_EQ(endpoint_.fetches(), 2);
}

// A FakeClock's time, and a notification when Now() has been read `target` times: KeyPem reads the clock
// under its lock, so the test knows a caller has looked at the cache (and decided) by then.
class ReadCountingClock final : public Clock {
 public:
  ReadCountingClock(int target, absl::Notification* reached) : target_(target), reached_(reached) {}
  absl::Time Now() const override {
    if (reads_.fetch_add(1) + 1 == target_) reached_->Notify();
    return clock_.Now();
  }

 private:
  const int target_;
  absl::Notification* const reached_;
  mutable std::atomic<int> reads_{0};
  testing::FakeClock clock_;
};

TEST_F(JwksKeySourceTest, CallersWithoutKeysShareTheFetchInFlight) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  absl::Notification started;
  absl::Notification release;
  absl::Notification second_looked;
  endpoint_.HoldFetches(&started, &release);
  // Clock reads: the first caller's (then it fetches), the second caller's.
  constexpr int kSecondCallersRead = 2;
  ReadCountingClock clock(kSecondCallersRead, &second_looked);
  // No refetch interval: only the single flight keeps the second caller from fetching too.
  JwksKeySourceOptions options;
  options.min_refetch_interval = absl::ZeroDuration();
  JwksKeySource source(std::make_unique<testing::FakeJwksFetcher>(endpoint_), clock, options);
  std::thread first([&] { EXPECT_TRUE(source.KeyPem("key-1").ok()); });
  if (!started.WaitForNotificationWithTimeout(kFetchStartBound)) {
    release.Notify();
    first.join();
    FAIL() << "no fetch started";
  }
  std::thread second([&] { EXPECT_TRUE(source.KeyPem("key-1").ok()); });
  // The second caller has seen the fetch in flight (it reads the clock under the lock the fetch's end needs).
  EXPECT_TRUE(second_looked.WaitForNotificationWithTimeout(kFetchStartBound));
  release.Notify();
  first.join();
  second.join();
  EXPECT_EQ(endpoint_.fetches(), 1);
}

TEST_F(JwksKeySourceTest, AWallClockSteppedBackAllowsAFetch) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  ASSERT_TRUE(Source().KeyPem("key-1").ok());
  clock_.AdvanceTime(-kServedMaxAge);
  EXPECT_TRUE(Source().KeyPem("key-1").ok());
  EXPECT_EQ(endpoint_.fetches(), 2);
}

}  // namespace
}  // namespace schedsvc::push_internal
