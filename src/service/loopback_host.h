// Loopback checks for the admin port's DNS-rebinding guard: a web page can make a browser send requests to
// 127.0.0.1 under a name of its own (rebound to 127.0.0.1), and then read the answers. When the admin port
// listens on loopback only, /debug/deliveries (which shows job attributes) answers only requests whose Host
// header names loopback itself. Pure functions; thread-safe.
#ifndef SCHEDSVC_SERVICE_LOOPBACK_HOST_H_
#define SCHEDSVC_SERVICE_LOOPBACK_HOST_H_

#include "absl/strings/string_view.h"

namespace schedsvc::service {

// True when `host` (admin.listen's host, as ParseHostPort returns it: no brackets) is `localhost` (any case)
// or a numeric loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. False for 0.0.0.0, ::, any other
// address and any other name.
bool IsLoopbackListenHost(absl::string_view host);

// True when `host_header` is 127.0.0.1, localhost (any case) or [::1], alone or followed by ":<port>"
// (digits). False for anything else, an empty header included.
bool IsLoopbackHostHeader(absl::string_view host_header);

}  // namespace schedsvc::service

#endif  // SCHEDSVC_SERVICE_LOOPBACK_HOST_H_
