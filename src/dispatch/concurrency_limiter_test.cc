#include "src/dispatch/concurrency_limiter.h"

#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace schedsvc::dispatch {
namespace {

constexpr int kMax = 2;

TEST(ConcurrencyLimiterTest, TryAcquireUpToTheLimit) {
  ConcurrencyLimiter limiter(kMax);
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
  EXPECT_EQ(limiter.in_use(), kMax);
  limiter.Release();
  EXPECT_EQ(limiter.in_use(), kMax - 1);
  EXPECT_TRUE(limiter.TryAcquire());
}

TEST(ConcurrencyLimiterTest, WaitersRunInOrderAsSlotsFree) {
  ConcurrencyLimiter limiter(kMax);
  std::vector<int> ran;
  for (int i = 0; i < 4; ++i) {
    limiter.Acquire([&ran, i](absl::Status status) {
      ASSERT_TRUE(status.ok());
      ran.push_back(i);
    });
  }
  EXPECT_EQ(ran, (std::vector<int>{0, 1}));
  EXPECT_EQ(limiter.waiting(), 2u);
  EXPECT_FALSE(limiter.TryAcquire()) << "queued waiters go first";
  limiter.Release();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(limiter.in_use(), kMax) << "the slot passed straight to the waiter";
  limiter.Release();
  limiter.Release();
  limiter.Release();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(limiter.in_use(), 0);
}

TEST(ConcurrencyLimiterTest, WaiterThatReleasesDoesNotRecurse) {
  constexpr int kWaiters = 100000;
  ConcurrencyLimiter limiter(1);
  ASSERT_TRUE(limiter.TryAcquire());
  int ran = 0;
  for (int i = 0; i < kWaiters; ++i) {
    limiter.Acquire([&](absl::Status status) {
      ASSERT_TRUE(status.ok());
      ++ran;
      limiter.Release();  // completes synchronously, like a FakeHttpClient answer
    });
  }
  limiter.Release();
  EXPECT_EQ(ran, kWaiters);
  EXPECT_EQ(limiter.in_use(), 0);
}

TEST(ConcurrencyLimiterTest, ShutdownCancelsWaitersAndRefusesNewOnes) {
  ConcurrencyLimiter limiter(1);
  ASSERT_TRUE(limiter.TryAcquire());
  absl::Status queued_result;
  limiter.Acquire([&](absl::Status status) { queued_result = status; });
  limiter.Shutdown();
  EXPECT_EQ(queued_result.code(), absl::StatusCode::kCancelled);
  absl::Status late_result;
  limiter.Acquire([&](absl::Status status) { late_result = status; });
  EXPECT_EQ(late_result.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(limiter.TryAcquire());
  limiter.Release();
  EXPECT_EQ(limiter.in_use(), 0);
}

}  // namespace
}  // namespace schedsvc::dispatch
