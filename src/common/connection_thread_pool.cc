#include "src/common/connection_thread_pool.h"

#include <utility>
#include <vector>

namespace schedsvc {

ConnectionThreadPool::ConnectionThreadPool(std::size_t max_threads)
    : max_threads_(max_threads == 0 ? 1 : max_threads) {}

ConnectionThreadPool::~ConnectionThreadPool() { shutdown(); }

void ConnectionThreadPool::enqueue(std::function<void()> fn) {
  Reap();
  absl::MutexLock lock(&mu_);
  if (running_ >= max_threads_) {
    queue_.push_back(std::move(fn));
    return;
  }
  ++running_;
  workers_.emplace_back();
  Worker* self = &workers_.back();
  // The worker's first step takes mu_, so it sees `thread` assigned before it can be marked done.
  self->thread = std::thread([this, fn = std::move(fn), self]() mutable { Work(std::move(fn), self); });
}

void ConnectionThreadPool::Work(std::function<void()> first, Worker* self) {
  std::function<void()> task = std::move(first);
  while (true) {
    task();
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) {
      --running_;
      self->done = true;
      return;
    }
    task = std::move(queue_.front());
    queue_.pop_front();
  }
}

void ConnectionThreadPool::Reap() {
  std::list<Worker> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), workers_, it);
      it = next;
    }
  }
  // A done worker has left its loop; join waits only for its thread to exit. No lock held.
  for (Worker& w : finished) w.thread.join();
}

void ConnectionThreadPool::on_idle() { Reap(); }

void ConnectionThreadPool::shutdown() {
  std::list<Worker> all;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    // Running workers take what is queued before they end.
    all.splice(all.end(), workers_);
  }
  for (Worker& w : all) w.thread.join();
}

std::size_t ConnectionThreadPool::running() {
  absl::MutexLock lock(&mu_);
  return running_;
}

std::size_t ConnectionThreadPool::queued() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace schedsvc
