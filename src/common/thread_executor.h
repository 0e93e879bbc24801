// ThreadExecutor: the production Executor. A fixed pool of threads shares one deadline-ordered queue, so
// timers cost nothing while idle (no polling) and due closures run on whichever thread is free.
// Deadlines are read from the injected Clock (SteadyClock in production) and the threads sleep on
// steady_clock, so a wall-clock step moves no timer (absl::Mutex's timed waits use CLOCK_REALTIME).
// Thread-safe. The destructor runs nothing further: closures not yet started are dropped after Shutdown().
#ifndef SCHEDSVC_COMMON_THREAD_EXECUTOR_H_
#define SCHEDSVC_COMMON_THREAD_EXECUTOR_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "src/common/clock.h"
#include "src/common/executor.h"

namespace schedsvc {

class ThreadExecutor final : public Executor {
 public:
  // Starts `threads` (>= 1) worker threads. `clock` must outlive this object.
  ThreadExecutor(Clock& clock, int threads);
  ~ThreadExecutor() override;

  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;

  TimerId RunAfter(absl::Duration delay, std::function<void()> fn) override;
  bool Cancel(TimerId id) override;

  // Stops accepting work, drops queued closures and joins the threads. Idempotent. Must not be called
  // from one of this executor's own threads.
  void Shutdown();

 private:
  void WorkerLoop();
  // Sleeps (mu_ released) until notified or `wait` has passed on steady_clock.
  void SleepLocked(absl::Duration wait) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;
  absl::Mutex mu_;
  // Keyed by (deadline, id) so equal deadlines run in submission order.
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  // Signalled when the queue's head changes or on shutdown; waits on it release mu_.
  std::condition_variable_any wake_;
  std::vector<std::thread> threads_;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_THREAD_EXECUTOR_H_
