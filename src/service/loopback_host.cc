#include "src/service/loopback_host.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "src/common/loopback_address.h"

namespace schedsvc::service {

bool IsLoopbackListenHost(absl::string_view host) {
  return absl::EqualsIgnoreCase(host, "localhost") || IsLoopbackAddress(host);
}

bool IsLoopbackHostHeader(absl::string_view host_header) {
  for (absl::string_view name : kLoopbackHostNames) {
    if (host_header.size() < name.size() || !absl::EqualsIgnoreCase(host_header.substr(0, name.size()), name)) {
      continue;
    }
    absl::string_view rest = host_header.substr(name.size());
    if (rest.empty()) return true;
    if (rest.front() != ':') continue;
    rest.remove_prefix(1);
    if (rest.empty()) return false;
    for (char c : rest) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  }
  return false;
}

}  // namespace schedsvc::service
