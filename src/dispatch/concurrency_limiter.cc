#include "src/dispatch/concurrency_limiter.h"

#include <utility>

#include "src/common/check.h"

namespace schedsvc::dispatch {

ConcurrencyLimiter::ConcurrencyLimiter(int max_concurrency) : max_concurrency_(max_concurrency) {
  SCHEDSVC_CHECK(max_concurrency >= 1);
}

bool ConcurrencyLimiter::TryAcquire() {
  absl::MutexLock lock(&mu_);
  if (shut_down_ || !waiters_.empty() || in_use_ >= max_concurrency_) return false;
  ++in_use_;
  return true;
}

void ConcurrencyLimiter::Acquire(Waiter waiter) {
  bool run_ready = false;
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      if (!waiters_.empty() || in_use_ >= max_concurrency_) {
        waiters_.push_back(std::move(waiter));
        return;
      }
      ++in_use_;
      ready_.push_back(std::move(waiter));
      if (draining_) return;
      draining_ = true;
      run_ready = true;
    }
  }
  if (run_ready) {
    RunReady();
    return;
  }
  waiter(absl::CancelledError("concurrency limiter shut down"));
}

void ConcurrencyLimiter::Release() {
  {
    absl::MutexLock lock(&mu_);
    SCHEDSVC_CHECK(in_use_ > 0);
    if (waiters_.empty()) {
      --in_use_;
      return;
    }
    // The slot passes straight to the oldest waiter: in_use_ is unchanged.
    ready_.push_back(std::move(waiters_.front()));
    waiters_.pop_front();
    if (draining_) return;
    draining_ = true;
  }
  RunReady();
}

void ConcurrencyLimiter::RunReady() {
  for (;;) {
    Waiter next;
    {
      absl::MutexLock lock(&mu_);
      if (ready_.empty()) {
        draining_ = false;
        return;
      }
      next = std::move(ready_.front());
      ready_.pop_front();
    }
    next(absl::OkStatus());
  }
}

void ConcurrencyLimiter::Shutdown() {
  std::deque<Waiter> cancelled;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    cancelled.swap(waiters_);
  }
  for (Waiter& waiter : cancelled) waiter(absl::CancelledError("concurrency limiter shut down"));
}

int ConcurrencyLimiter::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

std::size_t ConcurrencyLimiter::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiters_.size();
}

}  // namespace schedsvc::dispatch
