#include "src/console/upstream_path.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schedsvc::console {
namespace {

// Returns the value of the hex digit `c`, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

}  // namespace

bool HasPathTraversal(std::string_view path) {
  // Decode each %XX once; the characters that would change the path's meaning once decoded (by this
  // server, the upstream or anything between) are refused in encoded form.
  std::string decoded;
  decoded.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\\') return true;
    if (c != '%') {
      decoded += c;
      continue;
    }
    if (i + 2 >= path.size()) return true;  // truncated escape
    const int hi = HexValue(path[i + 1]);
    const int lo = HexValue(path[i + 2]);
    if (hi < 0 || lo < 0) return true;  // malformed escape
    const char d = static_cast<char>(hi * 16 + lo);
    if (d == '.' || d == '/' || d == '\\' || d == '%') return true;
    decoded += d;
    i += 2;
  }
  for (absl::string_view segment : absl::StrSplit(decoded, '/')) {
    if (segment == "." || segment == "..") return true;
  }
  return false;
}

absl::StatusOr<std::string> UpstreamTarget(std::string_view rest, std::string_view query,
                                           const std::vector<std::string_view>& prefixes) {
  bool allowed = false;
  for (std::string_view prefix : prefixes) allowed = allowed || rest.starts_with(prefix);
  if (!allowed) {
    std::string names;
    for (std::string_view prefix : prefixes) absl::StrAppend(&names, names.empty() ? "" : ", ", std::string(prefix));
    return absl::NotFoundError(absl::StrCat("only paths under ", names, " are forwarded"));
  }
  if (HasPathTraversal(rest)) {
    return absl::InvalidArgumentError("the path has a '.' or '..' segment, a backslash or an encoded '/', '.' or '%'");
  }
  std::string target = absl::StrCat("/", std::string(rest));
  if (!query.empty()) absl::StrAppend(&target, "?", std::string(query));
  return target;
}

}  // namespace schedsvc::console
