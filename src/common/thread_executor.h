// ThreadExecutor: the production Executor. A fixed pool of threads shares one deadline-ordered queue, so
// timers cost nothing while idle (no polling) and due closures run on whichever thread is free.
// Thread-safe. The destructor runs nothing further: closures not yet started are dropped after Shutdown().
#ifndef SCHEDSVC_COMMON_THREAD_EXECUTOR_H_
#define SCHEDSVC_COMMON_THREAD_EXECUTOR_H_

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

  Clock& clock_;
  absl::Mutex mu_;
  // Keyed by (deadline, id) so equal deadlines run in submission order.
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_THREAD_EXECUTOR_H_
