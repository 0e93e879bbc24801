#include "src/common/loopback_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace schedsvc {
namespace {

constexpr unsigned char kIpv4LoopbackFirstOctet = 127;

}  // namespace

bool IsLoopbackAddress(absl::string_view numeric_address) {
  const std::string text(numeric_address);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return reinterpret_cast<const unsigned char*>(&v4.s_addr)[0] == kIpv4LoopbackFirstOctet;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == kIpv4LoopbackFirstOctet;
}

}  // namespace schedsvc
