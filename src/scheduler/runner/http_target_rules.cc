#include "src/scheduler/runner/http_target_rules.h"

#include <array>
#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {
namespace {

// How much of an invalid header name an error message shows.
constexpr std::size_t kMaxNameInError = 64;

constexpr std::array<absl::string_view, 10> kDroppedNames = {
    "host", "content-length", "transfer-encoding", "connection", "keep-alive",
    "proxy-connection", "te", "trailer", "upgrade", "user-agent"};
constexpr std::array<absl::string_view, 3> kDroppedPrefixes = {"x-cloudscheduler", "x-google-",
                                                               "x-appengine-"};

// RFC 9110 section 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
// "`" / "|" / "~" / DIGIT / ALPHA.
bool IsTchar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// Control characters other than horizontal tab (RFC 9110 field-value allows HTAB, SP, VCHAR, obs-text).
bool IsForbiddenInValue(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && u != '\t') || u == 0x7f;
}

std::string NameForError(absl::string_view name) {
  const bool cut = name.size() > kMaxNameInError;
  return absl::StrCat("\"", absl::CHexEscape(name.substr(0, kMaxNameInError)), cut ? "...\"" : "\"");
}

}  // namespace

absl::Status ValidateHttpTargetHeader(absl::string_view name, absl::string_view value) {
  if (name.empty()) return absl::InvalidArgumentError("HttpTarget.headers has an empty name.");
  for (char c : name) {
    if (!IsTchar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "HttpTarget.headers name ", NameForError(name),
          " is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)."));
    }
  }
  for (char c : value) {
    if (IsForbiddenInValue(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "HttpTarget.headers value of ", NameForError(name),
          " contains a control character (CR, LF, NUL or another; only tab is allowed)."));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHttpTargetUriCharacters(absl::string_view uri) {
  for (char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) {
      return absl::InvalidArgumentError(
          "HttpTarget.uri must not contain spaces or control characters (percent-encode them).");
    }
  }
  return absl::OkStatus();
}

bool IsDroppedHttpTargetHeader(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (absl::string_view n : kDroppedNames) {
    if (lower == n) return true;
  }
  for (absl::string_view p : kDroppedPrefixes) {
    if (absl::StartsWith(lower, p)) return true;
  }
  return false;
}

}  // namespace schedsvc::scheduler
