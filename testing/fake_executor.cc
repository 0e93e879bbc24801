#include "testing/fake_executor.h"

#include <algorithm>

namespace schedsvc::testing {

TimerId FakeExecutor::RunAfter(absl::Duration delay, std::function<void()> fn) {
  absl::Time deadline = clock_.Now() + std::max(delay, absl::ZeroDuration());
  absl::MutexLock lock(&mu_);
  TimerId id = next_id_++;
  queue_.emplace(std::make_pair(deadline, id), std::move(fn));
  deadlines_.emplace(id, deadline);
  return id;
}

bool FakeExecutor::Cancel(TimerId id) {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
  return true;
}

std::size_t FakeExecutor::RunReady() {
  std::size_t ran = 0;
  while (true) {
    std::function<void()> fn;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty() || queue_.begin()->first.first > clock_.Now()) break;
      auto first = queue_.begin();
      fn = std::move(first->second);
      deadlines_.erase(first->first.second);
      queue_.erase(first);
    }
    fn();
    ++ran;
  }
  return ran;
}

void FakeExecutor::AdvanceTime(absl::Duration d) {
  const absl::Time target = clock_.Now() + d;
  RunReady();
  while (true) {
    absl::Time next = next_deadline();
    if (next > target) break;
    clock_.SetTime(next);
    RunReady();
  }
  clock_.SetTime(target);
  RunReady();
}

std::size_t FakeExecutor::pending() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::Time FakeExecutor::next_deadline() const {
  absl::MutexLock lock(&mu_);
  return queue_.empty() ? absl::InfiniteFuture() : queue_.begin()->first.first;
}

}  // namespace schedsvc::testing
