// Which requests the console answers at all, decided before routing: the console listens on loopback, but
// a web page from anywhere can make the browser send requests to 127.0.0.1. So a request must name the
// console itself in its Host header (127.0.0.1, localhost or [::1] with the console's port: no DNS
// rebinding), and a request that changes something (any method but GET/HEAD) carrying an Origin header must
// come from the console's own origin (no cross-site POST). Requests without Origin (curl, scripts) pass.
// Pure functions; thread-safe.
#ifndef SCHEDSVC_CONSOLE_REQUEST_GUARD_H_
#define SCHEDSVC_CONSOLE_REQUEST_GUARD_H_

#include <string_view>

#include "absl/status/status.h"

namespace schedsvc::console {

// True when `authority` ("host:port") is a loopback name with `port`: 127.0.0.1, localhost or [::1].
bool IsConsoleAuthority(std::string_view authority, int port);

// OK, or kPermissionDenied saying why: a Host that is not the console's, or (for a method other than GET
// and HEAD) an Origin other than http://<console authority>.
absl::Status CheckConsoleRequest(std::string_view method, std::string_view host, std::string_view origin, int port);

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_REQUEST_GUARD_H_
