#include "src/common/async_log_writer.h"

#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace schedsvc {

AsyncLogWriter::AsyncLogWriter(int fd, AsyncLogWriterOptions options) : fd_(fd), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

AsyncLogWriter::~AsyncLogWriter() { Shutdown(absl::ZeroDuration()); }

bool AsyncLogWriter::Enqueue(std::string line) {
  if (stopping_ || line.size() > options_.max_queued_bytes - std::min(queued_bytes_, options_.max_queued_bytes)) {
    return false;
  }
  queued_bytes_ += line.size();
  queue_.push_back(std::move(line));
  ++enqueued_;
  return true;
}

void AsyncLogWriter::CountDropped(std::uint64_t lines) {
  dropped_.fetch_add(lines, std::memory_order_relaxed);
  unreported_.fetch_add(lines, std::memory_order_relaxed);
}

bool AsyncLogWriter::Write(std::string line) {
  {
    absl::MutexLock lock(&mu_);
    if (Enqueue(std::move(line))) return true;
  }
  CountDropped(1);
  return false;
}

bool AsyncLogWriter::WriteDropNotice(
    absl::FunctionRef<std::string(std::uint64_t missed, std::uint64_t dropped_total)> format) {
  absl::MutexLock lock(&mu_);
  // Only this function lowers unreported_, always under mu_: `missed` stays <= unreported_ until the
  // subtraction, whatever CountDropped adds meanwhile.
  const std::uint64_t missed = unreported_.load(std::memory_order_relaxed);
  if (missed == 0) return false;
  if (!Enqueue(format(missed, dropped_.load(std::memory_order_relaxed)))) return false;
  unreported_.fetch_sub(missed, std::memory_order_relaxed);
  return true;
}

bool AsyncLogWriter::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const std::uint64_t target = enqueued_;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_ >= target; };
  ++flush_waiters_;
  const bool flushed = mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  --flush_waiters_;
  return flushed;
}

void AsyncLogWriter::Shutdown(absl::Duration timeout) {
  std::call_once(shutdown_once_, [this, timeout] {
    Flush(timeout);
    abandon_.store(true);
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  });
}

bool AsyncLogWriter::WriteFully(absl::string_view line) {
  const int poll_ms = static_cast<int>(std::max<std::int64_t>(1, absl::ToInt64Milliseconds(options_.poll_interval)));
  std::size_t written = 0;
  while (written < line.size()) {
    if (abandon_.load()) return false;
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, poll_ms);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    // POLLERR: a pipe whose reader is gone; POLLNVAL: not an open descriptor. Neither gets better.
    if ((p.revents & (POLLERR | POLLNVAL)) != 0) return false;
    // At most PIPE_BUF per write: once poll reports room, such a write to a pipe does not block.
    const std::size_t chunk = std::min<std::size_t>(line.size() - written, PIPE_BUF);
    const ssize_t n = ::write(fd_, line.data() + written, chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;  // the next poll waits
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  return true;
}

void AsyncLogWriter::Run() {
  for (;;) {
    std::deque<std::string> batch;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&has_work));
      if (queue_.empty()) return;  // stopping, and nothing left
      batch.swap(queue_);
    }
    // Written without the lock; queued_bytes_ still counts the batch so the bound holds.
    const std::uint64_t dropped = WriteBatch(batch);
    std::size_t bytes = 0;
    for (const std::string& line : batch) bytes += line.size();
    if (dropped > 0) CountDropped(dropped);
    bool hurry = false;
    {
      absl::MutexLock lock(&mu_);
      queued_bytes_ -= bytes;
      finished_ += batch.size();
      hurry = stopping_ || flush_waiters_ > 0 || queued_bytes_ >= options_.max_queued_bytes / 2;
    }
    // Let the next lines gather (see AsyncLogWriterOptions::batch_delay). A plain sleep: a condition wait
    // would make every Write() evaluate the writer's condition on unlock.
    if (!hurry) absl::SleepFor(options_.batch_delay);
  }
}

std::uint64_t AsyncLogWriter::WriteBatch(const std::deque<std::string>& batch) {
  std::uint64_t dropped = 0;
  std::string joined;
  std::uint64_t joined_lines = 0;
  auto write_joined = [&] {
    if (joined_lines > 0 && !WriteFully(joined)) dropped += joined_lines;
    joined.clear();
    joined_lines = 0;
  };
  for (const std::string& line : batch) {
    if (joined.size() + line.size() > PIPE_BUF) write_joined();
    if (line.size() > PIPE_BUF) {
      if (!WriteFully(line)) ++dropped;
      continue;
    }
    joined += line;
    ++joined_lines;
  }
  write_joined();
  return dropped;
}

}  // namespace schedsvc
