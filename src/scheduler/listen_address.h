// Whether a listen address (--listen / --grpc-listen HOST) is loopback, decided from what HOST resolves to,
// never from how it reads: "127.attacker.example" is a name like any other, and may resolve anywhere. The
// emulator serves its API without a token only on loopback, so this decides whether a token is required.
// Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_LISTEN_ADDRESS_H_
#define SCHEDSVC_SCHEDULER_LISTEN_ADDRESS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::scheduler {

// Returns the numeric addresses (e.g. "127.0.0.1", "::1") `host` resolves to for a TCP listener.
using HostResolver = std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host)>;

// Resolves `host` with getaddrinfo (AI_PASSIVE, TCP, IPv4 and IPv6). An empty host or "*" means every
// interface, which resolves to the wildcard addresses. kInvalidArgument naming the host if it does not
// resolve.
absl::StatusOr<std::vector<std::string>> ResolveListenHost(const std::string& host);

// Returns true when `host` resolves (through `resolve`) to at least one address and every address is
// loopback (IsLoopbackAddress, src/common/loopback_address.h). False when it does not resolve.
bool IsLoopbackHost(absl::string_view host, const HostResolver& resolve = ResolveListenHost);

// Returns the one address of `addresses` (what a listen host resolved to; not empty) the server binds:
// the first IPv4 address if there is one, else the first address. So `localhost` binds 127.0.0.1 whichever
// order the resolver returns 127.0.0.1 and ::1 in (gcloud and the docs use 127.0.0.1).
std::string BindAddress(const std::vector<std::string>& addresses);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_LISTEN_ADDRESS_H_
