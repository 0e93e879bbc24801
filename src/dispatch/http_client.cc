#include "src/dispatch/http_client.h"

#include "absl/strings/match.h"

namespace schedsvc::dispatch {

absl::optional<std::string> FindHeader(const HttpHeaders& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return absl::nullopt;
}

}  // namespace schedsvc::dispatch
