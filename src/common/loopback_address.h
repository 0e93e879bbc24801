// Loopback checks shared by every server that treats loopback specially: the scheduler emulator (no token
// on loopback), the admin port's and the console's DNS-rebinding guards (a Host header must name loopback
// itself). Pure; thread-safe.
#ifndef SCHEDSVC_COMMON_LOOPBACK_ADDRESS_H_
#define SCHEDSVC_COMMON_LOOPBACK_ADDRESS_H_

#include "absl/strings/string_view.h"

namespace schedsvc {

// The names a loopback server's Host header (or Origin authority) may give for it, before ":<port>".
inline constexpr absl::string_view kLoopbackHostNames[] = {"127.0.0.1", "localhost", "[::1]"};

// Returns true for a numeric IPv4 address in 127.0.0.0/8, the IPv6 loopback ::1, or an IPv4-mapped
// IPv6 address of 127.0.0.0/8 (::ffff:127.x.y.z). False for anything else, names included.
bool IsLoopbackAddress(absl::string_view numeric_address);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_LOOPBACK_ADDRESS_H_
