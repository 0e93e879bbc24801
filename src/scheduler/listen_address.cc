#include "src/scheduler/listen_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/common/loopback_address.h"

namespace schedsvc::scheduler {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ResolveListenHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  const char* node = host.empty() || host == "*" ? nullptr : host.c_str();
  addrinfo* raw = nullptr;
  const int rc = getaddrinfo(node, "0", &hints, &raw);
  std::unique_ptr<addrinfo, AddrInfoDeleter> result(raw);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve listen host \"", host, "\": ", gai_strerror(rc)));
  }
  std::vector<std::string> out;
  for (const addrinfo* a = result.get(); a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = nullptr;
    if (a->ai_family == AF_INET) {
      addr = &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
    } else if (a->ai_family == AF_INET6) {
      addr = &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
    } else {
      continue;
    }
    if (inet_ntop(a->ai_family, addr, text, sizeof(text)) != nullptr) out.emplace_back(text);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("listen host \"", host, "\" has no IP address"));
  }
  return out;
}

std::string BindAddress(const std::vector<std::string>& addresses) {
  in_addr v4{};
  for (const std::string& a : addresses) {
    if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return a;
  }
  return addresses.front();
}

bool IsLoopbackHost(absl::string_view host, const HostResolver& resolve) {
  absl::StatusOr<std::vector<std::string>> addresses = resolve(std::string(host));
  if (!addresses.ok() || addresses->empty()) return false;
  for (const std::string& a : *addresses) {
    if (!IsLoopbackAddress(a)) return false;
  }
  return true;
}

}  // namespace schedsvc::scheduler
