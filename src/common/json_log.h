// JsonLogger: structured logs, one JSON object per line, in the shape Cloud Logging parses from a
// container's stdout: {"severity","message","time", "logging.googleapis.com/trace"?, ...fields}.
// Callers pass fields as a JSON object; values must never contain secrets (the logger cannot know which
// strings are secret, so credentials simply never reach it). Thread-safe: each line is written whole,
// lines from one thread in order.
//
// Two modes. Synchronous (the std::ostream constructor: tests and tools): the line is written and flushed
// before Log() returns. Asynchronous (the file-descriptor constructor: the service's stdout): the line is
// formatted on the caller's thread and handed to an AsyncLogWriter (async_log_writer.h) whose one thread
// writes it, so Log() never waits for a log reader; when the bounded queue is full the line is dropped and
// counted (dropped_lines()), and the next line that fits is preceded by a WARNING "N log lines dropped".
#ifndef SCHEDSVC_COMMON_JSON_LOG_H_
#define SCHEDSVC_COMMON_JSON_LOG_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "absl/time/time.h"
#include "src/common/async_log_writer.h"
#include "src/common/clock.h"

namespace schedsvc {

enum class Severity { kDebug, kInfo, kNotice, kWarning, kError, kCritical };

// Returns Cloud Logging's name for `severity` ("DEBUG", "INFO", ...).
absl::string_view SeverityName(Severity severity);

class JsonLogger {
 public:
  // Writes to `out`, stamping lines with `clock`; both must outlive the logger. Lines below `min_severity`
  // are dropped.
  JsonLogger(std::ostream& out, Clock& clock, Severity min_severity = Severity::kInfo);
  // Asynchronous: lines go to file descriptor `fd` (not owned; open until the logger is destroyed)
  // through a writer thread, as described above. `clock` must outlive the logger.
  JsonLogger(int fd, Clock& clock, Severity min_severity = Severity::kInfo, AsyncLogWriterOptions options = {});
  // Asynchronous mode: lines not yet written are dropped (call Flush() first to keep them); returns
  // within the writer's poll interval even when the descriptor is stuck.
  ~JsonLogger();

  JsonLogger(const JsonLogger&) = delete;
  JsonLogger& operator=(const JsonLogger&) = delete;

  // Writes one line. `fields` must be a JSON object (or null); its members are added at top level after
  // severity, message and time, which they cannot replace (members with those names are dropped).
  void Log(Severity severity, absl::string_view message, const nlohmann::json& fields = nullptr);

  // Asynchronous mode: waits until every line logged before the call is written, at most `timeout`;
  // returns whether it got there. Synchronous mode: returns true at once.
  bool Flush(absl::Duration timeout);

  // Lines dropped because the writer could not keep up (always 0 in synchronous mode). Thread-safe.
  std::uint64_t dropped_lines() const;

  void Info(absl::string_view message, const nlohmann::json& fields = nullptr) {
    Log(Severity::kInfo, message, fields);
  }
  void Warning(absl::string_view message, const nlohmann::json& fields = nullptr) {
    Log(Severity::kWarning, message, fields);
  }
  void Error(absl::string_view message, const nlohmann::json& fields = nullptr) {
    Log(Severity::kError, message, fields);
  }

 private:
  // Returns one finished line, newline included.
  std::string Format(Severity severity, absl::string_view message, const nlohmann::json& fields);

  Clock& clock_;
  const Severity min_severity_;
  // Synchronous mode: the stream (null in asynchronous mode).
  absl::Mutex mu_;
  std::ostream* const out_ ABSL_GUARDED_BY(mu_);
  // Asynchronous mode: the writer (null in synchronous mode).
  const std::unique_ptr<AsyncLogWriter> writer_;
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_JSON_LOG_H_
