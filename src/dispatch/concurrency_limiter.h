// ConcurrencyLimiter: caps the requests in flight to one backend at its `max_concurrency`. A caller
// either takes a slot with TryAcquire(), or queues a waiter with Acquire(), which runs as soon as a
// slot is free (at once, if one is). Release() hands a freed slot straight to the oldest waiter.
//
// Waiter callbacks run outside the lock, on the thread that called Acquire() (slot free at once) or
// Release(). A callback that itself calls Release() does not recurse: the releasing thread that is
// already running waiters picks the next one up in its loop, so stack depth stays constant however
// long the queue. Shutdown() fails every queued waiter with kCancelled (and any later Acquire()).
//
// Thread-safe.
#ifndef SCHEDSVC_DISPATCH_CONCURRENCY_LIMITER_H_
#define SCHEDSVC_DISPATCH_CONCURRENCY_LIMITER_H_

#include <cstddef>
#include <deque>
#include <functional>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace schedsvc::dispatch {

class ConcurrencyLimiter {
 public:
  // Called with OK once the caller holds a slot (and must Release() it), or kCancelled after
  // Shutdown() (no slot held).
  using Waiter = std::function<void(absl::Status)>;

  // `max_concurrency` >= 1.
  explicit ConcurrencyLimiter(int max_concurrency);

  // Takes a slot and returns true, or returns false when all are taken, when waiters are queued (they
  // go first), or after Shutdown().
  bool TryAcquire();

  // Runs `waiter` with OK once a slot is held: immediately if one is free and nobody is queued, else
  // after earlier waiters, when Release() frees one.
  void Acquire(Waiter waiter);

  // Returns a slot taken by TryAcquire() or granted to a waiter.
  void Release();

  // Fails every queued waiter with kCancelled and refuses new ones. Held slots stay held until
  // released.
  void Shutdown();

  int in_use() const;
  std::size_t waiting() const;
  int max_concurrency() const { return max_concurrency_; }

 private:
  // Runs ready_ waiters until none is left. Called by the thread that set draining_.
  void RunReady();

  const int max_concurrency_;

  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Queued until a slot frees.
  std::deque<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  // Granted a slot, not yet run.
  std::deque<Waiter> ready_ ABSL_GUARDED_BY(mu_);
  // True while some thread is inside RunReady().
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_CONCURRENCY_LIMITER_H_
