#include "src/common/thread_executor.h"

#include <chrono>

#include "src/common/check.h"

namespace schedsvc {
namespace {

// std::condition_variable_any needs lock()/unlock(); absl::Mutex spells them Lock()/Unlock(). The caller
// holds the mutex around the wait, as the analysis already checks.
class LockableMutex {
 public:
  explicit LockableMutex(absl::Mutex& mu) : mu_(mu) {}
  void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.Lock(); }
  void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.Unlock(); }

 private:
  absl::Mutex& mu_;
};

}  // namespace

ThreadExecutor::ThreadExecutor(Clock& clock, int threads) : clock_(clock) {
  SCHEDSVC_CHECK(threads >= 1);
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

ThreadExecutor::~ThreadExecutor() { Shutdown(); }

TimerId ThreadExecutor::RunAfter(absl::Duration delay, std::function<void()> fn) {
  absl::Time deadline = clock_.Now() + std::max(delay, absl::ZeroDuration());
  absl::MutexLock lock(&mu_);
  if (shutdown_) return 0;
  TimerId id = next_id_++;
  auto it = queue_.emplace(std::make_pair(deadline, id), std::move(fn)).first;
  deadlines_.emplace(id, deadline);
  // Only a new head changes how long a sleeping worker should wait.
  if (it == queue_.begin()) wake_.notify_one();
  return id;
}

bool ThreadExecutor::Cancel(TimerId id) {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
  return true;
}

void ThreadExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) return;
    shutdown_ = true;
    queue_.clear();
    deadlines_.clear();
    wake_.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ThreadExecutor::SleepLocked(absl::Duration wait) {
  LockableMutex lockable(mu_);
  if (wait == absl::InfiniteDuration()) {
    wake_.wait(lockable);
  } else {
    wake_.wait_for(lockable, absl::ToChronoNanoseconds(wait));
  }
}

void ThreadExecutor::WorkerLoop() {
  while (true) {
    std::function<void()> fn;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (shutdown_) return;
        if (queue_.empty()) {
          SleepLocked(absl::InfiniteDuration());
          continue;
        }
        auto first = queue_.begin();
        const absl::Duration wait = first->first.first - clock_.Now();
        if (wait <= absl::ZeroDuration()) {
          fn = std::move(first->second);
          deadlines_.erase(first->first.second);
          queue_.erase(first);
          // Another worker may take the next due closure while this one runs.
          if (!queue_.empty()) wake_.notify_one();
          break;
        }
        SleepLocked(wait);
      }
    }
    fn();
  }
}

}  // namespace schedsvc
