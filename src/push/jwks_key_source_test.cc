#include "src/push/jwks_key_source.h"

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
  started.WaitForNotification();
  // The fetch is in flight (and holds no lock): a cached key is served at once, without a second fetch.
  EXPECT_EQ(*Source().KeyPem("key-1"), key1_->PublicKeyPem());
  EXPECT_EQ(endpoint_.fetches(), 2);
  release.Notify();
  refresher.join();
  EXPECT_EQ(endpoint_.fetches(), 2);
}

TEST_F(JwksKeySourceTest, CallersWithoutKeysShareTheFetchInFlight) {
  endpoint_.Serve(testing::JwksJson({key1_}), kServedMaxAge);
  absl::Notification started;
  absl::Notification release;
  endpoint_.HoldFetches(&started, &release);
  std::thread first([&] { EXPECT_TRUE(Source().KeyPem("key-1").ok()); });
  started.WaitForNotification();
  // This caller finds the first one's fetch running and waits for it instead of fetching itself (or, had
  // the fetch ended before it looked, finds the key cached): one fetch either way.
  std::thread second([&] { EXPECT_TRUE(Source().KeyPem("key-1").ok()); });
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
