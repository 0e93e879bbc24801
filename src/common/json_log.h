// JsonLogger: structured logs, one JSON object per line, in the shape Cloud Logging parses from a
// container's stdout: {"severity","message","time", "logging.googleapis.com/trace"?, ...fields}.
// Callers pass fields as a JSON object; values must never contain secrets (the logger cannot know which
// strings are secret, so credentials simply never reach it). Thread-safe: each line is written whole.
#ifndef SCHEDSVC_COMMON_JSON_LOG_H_
#define SCHEDSVC_COMMON_JSON_LOG_H_

#include <ostream>
#include "absl/strings/string_view.h"

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
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

  // Writes one line. `fields` must be a JSON object (or null); its members are added at top level after
  // severity, message and time, which they cannot replace (members with those names are dropped).
  void Log(Severity severity, absl::string_view message, const nlohmann::json& fields = nullptr);

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
  Clock& clock_;
  const Severity min_severity_;
  absl::Mutex mu_;
  std::ostream& out_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_JSON_LOG_H_
