#include "src/dispatch/backend.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::Contains;
using ::testing::Pair;

constexpr char kBackendName[] = "jobs";
constexpr char kBackendUrl[] = "http://jobs.internal:8080/api";
constexpr int kMaxConcurrency = 2;
constexpr int kConsecutiveFailures = 3;
constexpr absl::Duration kAttemptTimeout = absl::Seconds(7);
constexpr absl::Duration kOpenDuration = absl::Seconds(20);

config::BackendConfig JobsConfig() {
  config::BackendConfig c;
  c.name = kBackendName;
  c.url = kBackendUrl;
  c.timeout = kAttemptTimeout;
  c.max_concurrency = kMaxConcurrency;
  c.circuit_breaker.consecutive_failures = kConsecutiveFailures;
  c.circuit_breaker.open_duration = kOpenDuration;
  return c;
}

TEST(BackendTest, EveryPartIsBuiltFromItsOwnConfig) {
  testing::FakeClock clock;
  Backend backend(JobsConfig(), clock);
  EXPECT_EQ(backend.name(), kBackendName);
  EXPECT_EQ(backend.config().url, kBackendUrl);

  // Request building: the backend's URL and attempt timeout.
  pubsub::Message message;
  message.message_id = "m-1";
  absl::StatusOr<HttpRequest> request = backend.BuildRequest(message, 1);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->url, kBackendUrl);
  EXPECT_EQ(request->timeout, kAttemptTimeout);
  EXPECT_THAT(request->headers, Contains(Pair("Idempotency-Key", "m-1")));

  // Limiter: max_concurrency slots.
  EXPECT_EQ(backend.limiter().max_concurrency(), kMaxConcurrency);
  for (int i = 0; i < kMaxConcurrency; ++i) EXPECT_TRUE(backend.limiter().TryAcquire());
  EXPECT_FALSE(backend.limiter().TryAcquire());
  for (int i = 0; i < kMaxConcurrency; ++i) backend.limiter().Release();

  // Retry schedule: attempts are clipped to the backend's timeout.
  const absl::Time now = clock.Now();
  EXPECT_EQ(backend.schedule().AttemptTimeout(now, now + absl::Hours(1)), kAttemptTimeout);

  // Breaker: opens after consecutive_failures failures, for open_duration.
  for (int i = 0; i < kConsecutiveFailures; ++i) {
    ASSERT_TRUE(backend.breaker().AllowRequest());
    backend.breaker().OnFailure();
  }
  EXPECT_EQ(backend.breaker().state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(backend.breaker().open_until(), now + kOpenDuration);
}

TEST(BackendTest, CountsHeldMessagesUpToTheBound) {
  constexpr int kMaxHeld = 2;
  testing::FakeClock clock;
  Backend backend(JobsConfig(), clock);
  EXPECT_EQ(backend.held(), 0);
  EXPECT_TRUE(backend.TryAddHeld(kMaxHeld));
  EXPECT_TRUE(backend.TryAddHeld(kMaxHeld));
  EXPECT_FALSE(backend.TryAddHeld(kMaxHeld));
  EXPECT_EQ(backend.held(), 2);
  backend.RemoveHeld();
  EXPECT_EQ(backend.held(), 1);
  EXPECT_TRUE(backend.TryAddHeld(kMaxHeld));
}

TEST(BackendTest, NoBoundHoldsAny) {
  constexpr int kNoBound = 0;
  constexpr int kMany = 1000;
  testing::FakeClock clock;
  Backend backend(JobsConfig(), clock);
  for (int i = 0; i < kMany; ++i) ASSERT_TRUE(backend.TryAddHeld(kNoBound));
  EXPECT_EQ(backend.held(), kMany);
}

// Threads holding at once never take the count past the bound (the check and the increment are one step).
TEST(BackendTest, ConcurrentHoldsNeverPassTheBound) {
  constexpr int kMaxHeld = 5;
  constexpr int kThreads = 8;
  constexpr int kTriesPerThread = 1000;
  testing::FakeClock clock;
  Backend backend(JobsConfig(), clock);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTriesPerThread; ++i) {
        if (backend.TryAddHeld(kMaxHeld)) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), kMaxHeld);
  EXPECT_EQ(backend.held(), kMaxHeld);
}

}  // namespace
}  // namespace schedsvc::dispatch
