// Which paths the console forwards, decided before any upstream is called: the part of a
// /api/scheduler/<rest> request that goes to the scheduler emulator must start with an allowed prefix
// ("v1/", "emulator/v1/") and must not climb out of it: no "." or ".." segment, raw or percent-encoded
// (%2e, %2E), no encoded slash or backslash (%2f, %5c), no backslash, no double encoding. Pure functions;
// thread-safe.
#ifndef SCHEDSVC_CONSOLE_UPSTREAM_PATH_H_
#define SCHEDSVC_CONSOLE_UPSTREAM_PATH_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace schedsvc::console {

// The prefixes of the scheduler emulator's API the console forwards: Cloud Scheduler's v1 API and the
// emulator's own extensions.
inline const std::vector<std::string_view>& SchedulerPathPrefixes() {
  static const std::vector<std::string_view> kPrefixes = {"v1/", "emulator/v1/"};
  return kPrefixes;
}

// Returns true when `path` (a URL path as received, still percent-encoded) has a "." or ".." segment,
// a backslash, an encoded '/', '\' or '.', or a '%' that decodes to another '%' (double encoding).
bool HasPathTraversal(std::string_view path);

// Returns the upstream target "/<rest>[?<query>]" for the raw (still percent-encoded) `rest` of a
// /api/scheduler/<rest> request and its raw `query` (without '?'; empty = none). kNotFound when `rest` does
// not start with one of `prefixes`; kInvalidArgument when it climbs out of them (HasPathTraversal).
absl::StatusOr<std::string> UpstreamTarget(std::string_view rest, std::string_view query,
                                           const std::vector<std::string_view>& prefixes);

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_UPSTREAM_PATH_H_
