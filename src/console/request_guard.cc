#include "src/console/request_guard.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "src/common/loopback_address.h"

namespace schedsvc::console {
namespace {

constexpr std::string_view kHttpScheme = "http://";

}  // namespace

bool IsConsoleAuthority(std::string_view authority, int port) {
  for (absl::string_view name : kLoopbackHostNames) {
    if (authority == absl::StrCat(name, ":", port)) return true;
  }
  return false;
}

absl::Status CheckConsoleRequest(std::string_view method, std::string_view host, std::string_view origin, int port) {
  if (!IsConsoleAuthority(host, port)) {
    return absl::PermissionDeniedError(
        absl::StrCat("Host must be 127.0.0.1:", port, " or localhost:", port, " (the console answers loopback only)"));
  }
  if (method == "GET" || method == "HEAD" || origin.empty()) return absl::OkStatus();
  if (!origin.starts_with(kHttpScheme) || !IsConsoleAuthority(origin.substr(kHttpScheme.size()), port)) {
    return absl::PermissionDeniedError("cross-origin requests that change something are refused");
  }
  return absl::OkStatus();
}

}  // namespace schedsvc::console
