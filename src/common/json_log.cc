#include "src/common/json_log.h"

#include <string>

#include "absl/time/time.h"

namespace schedsvc {

absl::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kNotice:
      return "NOTICE";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kError:
      return "ERROR";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "DEFAULT";
}

JsonLogger::JsonLogger(std::ostream& out, Clock& clock, Severity min_severity)
    : clock_(clock), min_severity_(min_severity), out_(out) {}

void JsonLogger::Log(Severity severity, absl::string_view message, const nlohmann::json& fields) {
  if (severity < min_severity_) return;
  nlohmann::json line = nlohmann::json::object();
  line["severity"] = SeverityName(severity);
  line["message"] = message;
  line["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", clock_.Now(), absl::UTCTimeZone());
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  // Invalid UTF-8 in a field (e.g. a message attribute) is replaced rather than throwing.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::MutexLock lock(&mu_);
  out_ << text << '\n';
  out_.flush();
}

}  // namespace schedsvc
