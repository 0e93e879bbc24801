#include "src/pubsub/internal/owner_thread_destruction.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace schedsvc::pubsub_internal {
namespace {

constexpr int kHolderThreads = 8;

// Records on which thread, and how often, it was destroyed.
struct Tracked {
  Tracked(std::atomic<int>& destructions, std::thread::id& destroyed_on)
      : destructions(destructions), destroyed_on(destroyed_on) {}
  ~Tracked() {
    destroyed_on = std::this_thread::get_id();
    ++destructions;
  }
  std::atomic<int>& destructions;
  std::thread::id& destroyed_on;
};

// References dropped on other threads, in any order and possibly last, never destroy the object there:
// Destroy() waits for the last of them and destroys it on the owner's thread, exactly once.
TEST(OwnerThreadDestructionTest, DestroysOnTheOwnersThreadWhateverThreadReleasesLast) {
  std::atomic<int> destructions{0};
  std::thread::id destroyed_on;
  OwnerThreadDestruction<Tracked> owner(std::make_shared<Tracked>(destructions, destroyed_on));
  absl::Notification release;
  std::vector<std::thread> holders;
  for (int i = 0; i < kHolderThreads; ++i) {
    holders.emplace_back([ref = owner.shared(), &release]() mutable {
      release.WaitForNotification();
      ref.reset();
    });
  }
  release.Notify();
  EXPECT_TRUE(owner.Destroy(absl::InfiniteDuration()));
  EXPECT_EQ(destructions.load(), 1);
  EXPECT_EQ(destroyed_on, std::this_thread::get_id());
  EXPECT_EQ(owner.shared(), nullptr);
  for (auto& t : holders) t.join();
  EXPECT_EQ(destructions.load(), 1);
}

// With no reference handed out, Destroy() returns at once; a second call and the owner's destructor do
// nothing more.
TEST(OwnerThreadDestructionTest, DestroysAtOnceWhenNothingIsHeld) {
  std::atomic<int> destructions{0};
  std::thread::id destroyed_on;
  {
    OwnerThreadDestruction<Tracked> owner(std::make_shared<Tracked>(destructions, destroyed_on));
    EXPECT_TRUE(owner.Destroy(absl::ZeroDuration()));
    EXPECT_EQ(destructions.load(), 1);
    EXPECT_TRUE(owner.Destroy(absl::ZeroDuration()));
  }
  EXPECT_EQ(destructions.load(), 1);
  EXPECT_EQ(destroyed_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
