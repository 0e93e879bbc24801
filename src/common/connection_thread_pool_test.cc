#include "src/common/connection_thread_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace schedsvc {
namespace {

// More than httplib's default pool of max(8, cores - 1) threads.
constexpr int kTasks = 40;
constexpr std::size_t kBigPool = 64;
constexpr std::size_t kSmallPool = 4;
constexpr absl::Duration kWait = absl::Seconds(10);

// Enqueues kTasks tasks that each block until `release`; returns once `expected_running` of them run.
bool AllStarted(ConnectionThreadPool& pool, std::atomic<int>& started, int expected_running,
                absl::Notification& release) {
  for (int i = 0; i < kTasks; ++i) {
    pool.enqueue([&started, &release] {
      started.fetch_add(1);
      release.WaitForNotificationWithTimeout(kWait);
    });
  }
  const absl::Time deadline = absl::Now() + kWait;
  while (started.load() < expected_running && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return started.load() == expected_running;
}

TEST(ConnectionThreadPoolTest, EveryTaskGetsAThreadUpToTheBound) {
  ConnectionThreadPool pool(kBigPool);
  std::atomic<int> started{0};
  absl::Notification release;
  EXPECT_TRUE(AllStarted(pool, started, kTasks, release));
  EXPECT_EQ(pool.running(), static_cast<std::size_t>(kTasks));
  EXPECT_EQ(pool.queued(), 0u);
  release.Notify();
  pool.shutdown();
  EXPECT_EQ(pool.running(), 0u);
}

TEST(ConnectionThreadPoolTest, BeyondTheBoundTasksWaitAndAllRunInTheEnd) {
  ConnectionThreadPool pool(kSmallPool);
  std::atomic<int> started{0};
  absl::Notification release;
  EXPECT_TRUE(AllStarted(pool, started, static_cast<int>(kSmallPool), release));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(started.load(), static_cast<int>(kSmallPool));
  EXPECT_EQ(pool.queued(), static_cast<std::size_t>(kTasks) - kSmallPool);
  release.Notify();
  pool.shutdown();
  EXPECT_EQ(started.load(), kTasks);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(ConnectionThreadPoolTest, FinishedThreadsAreReaped) {
  ConnectionThreadPool pool(kSmallPool);
  std::atomic<int> ran{0};
  for (int i = 0; i < kTasks; ++i) {
    pool.enqueue([&ran] { ran.fetch_add(1); });
    pool.on_idle();
  }
  pool.shutdown();
  EXPECT_EQ(ran.load(), kTasks);
}

}  // namespace
}  // namespace schedsvc
