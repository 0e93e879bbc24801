#include "src/service/loopback_host.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace schedsvc::service {
namespace {

constexpr unsigned char kIpv4LoopbackFirstOctet = 127;
constexpr absl::string_view kLocalhost = "localhost";
// The names a Host header may give for a loopback admin port's /debug/deliveries.
constexpr absl::string_view kLoopbackHostNames[] = {"127.0.0.1", kLocalhost, "[::1]"};

}  // namespace

bool IsLoopbackListenHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, kLocalhost)) return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return reinterpret_cast<const unsigned char*>(&v4.s_addr)[0] == kIpv4LoopbackFirstOctet;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == kIpv4LoopbackFirstOctet;
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
