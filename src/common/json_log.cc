#include "src/common/json_log.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
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
    : clock_(clock), min_severity_(min_severity), out_(&out) {}

JsonLogger::JsonLogger(int fd, Clock& clock, Severity min_severity, AsyncLogWriterOptions options)
    : clock_(clock),
      min_severity_(min_severity),
      out_(nullptr),
      writer_(std::make_unique<AsyncLogWriter>(fd, options)) {}

JsonLogger::~JsonLogger() = default;

bool JsonLogger::Flush(absl::Duration timeout) { return writer_ == nullptr || writer_->Flush(timeout); }

std::uint64_t JsonLogger::dropped_lines() const { return writer_ == nullptr ? 0 : writer_->dropped_lines(); }

namespace {

// Serializes JSON values straight onto the end of one string (no temporary string per value); invalid
// UTF-8 (e.g. in a message attribute) is replaced rather than throwing. Uses nlohmann's own serializer,
// the code behind json::dump.
class JsonAppender {
 public:
  explicit JsonAppender(std::string& out)
      : out_(out),
        serializer_(nlohmann::detail::output_adapter<char>(out), ' ', nlohmann::json::error_handler_t::replace) {}

  void Value(const nlohmann::json& value) { serializer_.dump(value, false, false, 0); }

  // A JSON string. Text made of printable ASCII other than '"' and '\\' (message texts and field names,
  // nearly always) is copied as it is; anything else goes through the serializer's escaping.
  void String(absl::string_view text) {
    for (const char c : text) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        Value(nlohmann::json(std::string(text)));
        return;
      }
    }
    out_ += '"';
    out_.append(text.data(), text.size());
    out_ += '"';
  }

 private:
  std::string& out_;
  nlohmann::detail::serializer<nlohmann::json> serializer_;
};

// RFC 3339 UTC with microseconds, e.g. 2026-12-01T03:52:10.123456Z. The seconds part is formatted by
// absl once per second per thread; the microseconds are appended.
void AppendTime(std::string& out, absl::Time t) {
  thread_local int64_t cached_second = std::numeric_limits<int64_t>::min();
  thread_local std::string cached_prefix;
  const int64_t micros = absl::ToUnixMicros(t);
  const int64_t second = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  if (second != cached_second) {
    cached_prefix = absl::FormatTime("%Y-%m-%dT%H:%M:%S.", absl::FromUnixSeconds(second), absl::UTCTimeZone());
    cached_second = second;
  }
  const int64_t fraction = micros - second * 1000000;
  char digits[7];
  int64_t rest = fraction;
  for (int i = 5; i >= 0; --i, rest /= 10) digits[i] = static_cast<char>('0' + rest % 10);
  digits[6] = 'Z';
  out += cached_prefix;
  out.append(digits, 7);
}

}  // namespace

void JsonLogger::Log(Severity severity, absl::string_view message, const nlohmann::json& fields) {
  if (severity < min_severity_) return;
  if (writer_ != nullptr) {
    // The reader is back (or was only briefly slow): say how much it missed before the next line.
    // The cheap check first; the notice itself is counted and queued under the writer's lock.
    if (writer_->unreported_drops() > 0) {
      writer_->WriteDropNotice([this](std::uint64_t missed, std::uint64_t dropped_total) {
        return Format(Severity::kWarning, absl::StrCat(missed, " log lines dropped"),
                      {{"dropped_lines", missed}, {"dropped_lines_total", dropped_total}});
      });
    }
    writer_->Write(Format(severity, message, fields));
    return;
  }
  std::string text = Format(severity, message, fields);
  absl::MutexLock lock(&mu_);
  out_->write(text.data(), static_cast<std::streamsize>(text.size()));
  out_->flush();
}

std::string JsonLogger::Format(Severity severity, absl::string_view message, const nlohmann::json& fields) {
  // Serialized straight into one string (no intermediate JSON object): severity, message and time first,
  // then the caller's fields in their (sorted) order. A field may not replace those three.
  std::string text;
  text.reserve(256);
  JsonAppender json(text);
  absl::StrAppend(&text, "{\"severity\":\"", SeverityName(severity), "\",\"message\":");
  json.String(message);
  text += ",\"time\":\"";
  AppendTime(text, clock_.Now());
  text += '"';
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      if (key == "severity" || key == "message" || key == "time") continue;
      text += ',';
      json.String(key);
      text += ':';
      json.Value(value);
    }
  }
  text += "}\n";
  return text;
}

}  // namespace schedsvc
