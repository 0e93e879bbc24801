#include "src/common/thread_executor.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(ThreadExecutorTest, RunsClosuresInDeadlineOrder) {
  SystemClock clock;
  ThreadExecutor executor(clock, 1);
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification done;
  executor.RunAfter(absl::Milliseconds(30), [&] {
    absl::MutexLock l(&mu);
    order.push_back(2);
    done.Notify();
  });
  executor.RunAfter(absl::Milliseconds(1), [&] {
    absl::MutexLock l(&mu);
    order.push_back(1);
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock l(&mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(ThreadExecutorTest, CancelledClosureNeverRuns) {
  SystemClock clock;
  ThreadExecutor executor(clock, 2);
  std::atomic<bool> ran{false};
  TimerId id = executor.RunAfter(absl::Hours(1), [&] { ran = true; });
  EXPECT_TRUE(executor.Cancel(id));
  EXPECT_FALSE(executor.Cancel(id));
  executor.Shutdown();
  EXPECT_FALSE(ran);
}

TEST(ThreadExecutorTest, ShutdownDropsWaitingWorkAndRejectsNew) {
  SystemClock clock;
  ThreadExecutor executor(clock, 1);
  std::atomic<int> ran{0};
  executor.RunAfter(absl::Hours(1), [&] { ++ran; });
  executor.Shutdown();
  EXPECT_EQ(executor.Run([&] { ++ran; }), 0u);
  EXPECT_EQ(ran.load(), 0);
}

}  // namespace
}  // namespace schedsvc
