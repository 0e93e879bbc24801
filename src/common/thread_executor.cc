#include "src/common/thread_executor.h"

#include "src/common/check.h"

namespace schedsvc {

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
  queue_.emplace(std::make_pair(deadline, id), std::move(fn));
  deadlines_.emplace(id, deadline);
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
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ThreadExecutor::WorkerLoop() {
  while (true) {
    std::function<void()> fn;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (shutdown_) return;
        if (!queue_.empty()) {
          auto first = queue_.begin();
          absl::Duration wait = first->first.first - clock_.Now();
          if (wait <= absl::ZeroDuration()) {
            fn = std::move(first->second);
            deadlines_.erase(first->first.second);
            queue_.erase(first);
            break;
          }
          // Wakes early when a sooner closure arrives or on shutdown: the condition re-evaluates then.
          const std::size_t size_before = queue_.size();
          const absl::Time head = first->first.first;
          auto changed = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
            return shutdown_ || queue_.size() != size_before ||
                   (!queue_.empty() && queue_.begin()->first.first != head);
          };
          mu_.AwaitWithTimeout(absl::Condition(&changed), wait);
        } else {
          auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return shutdown_ || !queue_.empty(); };
          mu_.Await(absl::Condition(&ready));
        }
      }
    }
    fn();
  }
}

}  // namespace schedsvc
