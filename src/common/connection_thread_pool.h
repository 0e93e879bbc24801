// ConnectionThreadPool: a cpp-httplib task queue (httplib::TaskQueue: each task serves one accepted
// connection until it closes) that starts a thread for each task, up to `max_threads` at once, instead of
// httplib's fixed pool of max(8, cores - 1) threads. With the fixed pool, a few clients that trickle a
// request a byte at a time (cpp-httplib 0.11 has no limit on the total time of a request) hold every
// thread, and a health probe waits behind them. Here every connection gets a thread at once while fewer
// than `max_threads` are served; beyond that, connections wait in FIFO order for a thread. A thread ends
// when its connection ends and no connection waits (nothing idles). Installed through
// HttpServerLimits (http_server_limits.h). Thread-safe: httplib enqueues from its accept thread.
#ifndef SCHEDSVC_COMMON_CONNECTION_THREAD_POOL_H_
#define SCHEDSVC_COMMON_CONNECTION_THREAD_POOL_H_

#include <httplib.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace schedsvc {

class ConnectionThreadPool final : public httplib::TaskQueue {
 public:
  // `max_threads` >= 1: how many tasks run at once.
  explicit ConnectionThreadPool(std::size_t max_threads);
  // Waits for every task (shutdown()).
  ~ConnectionThreadPool() override;

  // Runs `fn` on a new thread, or queues it when `max_threads` tasks are running.
  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins every thread. Call once, after the last enqueue.
  void shutdown() override;
  // Joins the threads that have finished (httplib calls this when its accept loop is idle).
  void on_idle() override;

  // How many tasks are running now, and how many wait for a thread.
  std::size_t running();
  std::size_t queued();

 private:
  struct Worker {
    std::thread thread;
    bool done = false;
  };
  // Runs `first`, then queued tasks until none is left; marks `self` done.
  void Work(std::function<void()> first, Worker* self);
  // Joins finished workers.
  void Reap();

  const std::size_t max_threads_;
  absl::Mutex mu_;
  std::list<Worker> workers_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::size_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_CONNECTION_THREAD_POOL_H_
