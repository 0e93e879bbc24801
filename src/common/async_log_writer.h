// AsyncLogWriter: hands finished log lines to ONE writer thread that does the blocking write(2) to a file
// descriptor (the service's stdout), so a caller never waits for a log reader or a disk. The queue between
// them is bounded in bytes; a line that does not fit is dropped and counted, never waited for. JsonLogger
// (json_log.h) formats the lines and reports the drops; this class only queues and writes bytes.
//
// The writer waits for the descriptor with poll(2) in steps of `poll_interval` and writes at most PIPE_BUF
// bytes per write(2), so on a pipe or FIFO (the usual stdout of a container) a write never blocks and the
// thread notices Shutdown() within one step even while nobody reads. Queued lines that fit are joined into
// one write of at most PIPE_BUF bytes (whole lines only, so on a pipe no other writer's bytes land inside a
// line); a longer line is written on its own, in PIPE_BUF pieces. EAGAIN (a descriptor someone set
// non-blocking) waits for the next poll; EPIPE or any other write error drops the line (counted) without
// retrying it, so a reader that went away costs no spinning.
//
// Thread-safe. The descriptor is neither owned nor closed; it must stay open until Shutdown() returned.
#ifndef SCHEDSVC_COMMON_ASYNC_LOG_WRITER_H_
#define SCHEDSVC_COMMON_ASYNC_LOG_WRITER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace schedsvc {

struct AsyncLogWriterOptions {
  // Bytes of lines queued (not yet written) at most; a line that would go beyond it is dropped. Default
  // 1 MiB (some five thousand "message delivered" lines: a burst a slow reader can catch up on); > 0.
  std::size_t max_queued_bytes = 1024 * 1024;
  // How long one poll(2) for a writable descriptor waits before the writer re-checks for shutdown.
  // Default 100 ms; > 0.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // After writing what was queued, the writer sleeps this long before it takes the lines queued since
  // (unless a Flush() or Shutdown() was waiting, or the queue is half full): under load one wake-up and
  // one write(2) then serve many lines instead of one each. Flush() and Shutdown() may take this much
  // longer. Default 2 ms; >= 0.
  absl::Duration batch_delay = absl::Milliseconds(2);
};

class AsyncLogWriter {
 public:
  // Starts the writer thread for `fd`.
  explicit AsyncLogWriter(int fd, AsyncLogWriterOptions options = {});
  // Shutdown(absl::ZeroDuration()): what is still queued is dropped. Call Flush() first to keep it.
  ~AsyncLogWriter();

  AsyncLogWriter(const AsyncLogWriter&) = delete;
  AsyncLogWriter& operator=(const AsyncLogWriter&) = delete;

  // Queues `line` (a whole line, newline included) and returns true; returns false, counting the line as
  // dropped, when the queue is full or the writer is shut down. Never blocks on the descriptor.
  bool Write(std::string line);

  // Formats the notice for the drops not yet reported (`format(missed, dropped_total)`, missed > 0), queues
  // it like Write(), and if it was queued, marks those `missed` drops as reported. Count, format and queue
  // happen under the writer's lock, so callers on several threads never report the same drops twice.
  // Returns whether a notice was queued: false when there is nothing to report (`format` not called) or
  // the notice does not fit (not counted as a drop). `format` must not call into this writer.
  bool WriteDropNotice(
      absl::FunctionRef<std::string(std::uint64_t missed, std::uint64_t dropped_total)> format);

  // Waits until every line queued before the call has been written or dropped, at most `timeout`.
  // Returns true if it got there. Never waits longer than `timeout`, however stuck the descriptor is.
  bool Flush(absl::Duration timeout);

  // Stops taking lines, gives the queue up to `timeout` to drain, then drops what is left (counted) and
  // joins the writer thread, which takes at most one poll_interval more. Idempotent.
  void Shutdown(absl::Duration timeout);

  // Lines dropped so far (queue full, write error, or left over at shutdown).
  std::uint64_t dropped_lines() const { return dropped_.load(std::memory_order_relaxed); }
  // Drops not yet reported by a notice (WriteDropNotice).
  std::uint64_t unreported_drops() const { return unreported_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // Writes `line` whole; false if it had to be given up (write error, or abandoned at shutdown).
  bool WriteFully(absl::string_view line);
  // Writes `batch` (joined into writes of at most PIPE_BUF bytes where lines fit); returns how many of its
  // lines were given up.
  std::uint64_t WriteBatch(const std::deque<std::string>& batch);
  // Queues `line` if it fits; false otherwise (not counted).
  bool Enqueue(std::string line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountDropped(std::uint64_t lines);

  const int fd_;
  const AsyncLogWriterOptions options_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> unreported_{0};
  // Set when Shutdown's drain time ran out: the writer gives up the line it is on and drops the rest.
  std::atomic<bool> abandon_{false};

  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  // Bytes in queue_ plus the batch the writer thread is writing.
  std::size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Lines ever queued, and lines written or dropped by the writer: Flush waits for the second to reach
  // the first.
  std::uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Flush() calls waiting: they cut the writer's batch_delay short.
  int flush_waiters_ ABSL_GUARDED_BY(mu_) = 0;

  std::once_flag shutdown_once_;
  std::thread thread_;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_ASYNC_LOG_WRITER_H_
