// UpstreamProxy: moves one console API request to one local upstream (the scheduler emulator, the
// service's admin port, the demo backend) over loopback HTTP with a short timeout, and its answer back:
// status, body and Content-Type unchanged. A transport failure (refused, timed out) becomes a 502 with
// {"error":"<upstream name> at <host:port>: <what failed>"} (no request data, no secrets). Which paths may
// be forwarded is decided by the caller (upstream_path.h). Stateless apart from its address; a client per
// call; thread-safe.
#ifndef SCHEDSVC_CONSOLE_UPSTREAM_PROXY_H_
#define SCHEDSVC_CONSOLE_UPSTREAM_PROXY_H_

#include <string>

#include "absl/time/time.h"

namespace schedsvc::console {

struct UpstreamAddress {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = not running (Forward answers 502 naming it)
};

// One request to forward. `target` is the upstream path with its query ("/v1/...?pageSize=10").
struct ProxyRequest {
  std::string method;  // GET, POST, PATCH, DELETE
  std::string target;
  std::string body;
  std::string content_type;  // sent when `body` is not empty
};

struct ProxyResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

// Status of a console answer when an upstream failed.
inline constexpr int kBadGateway = 502;

// Returns the JSON body {"error": message} of a console error answer.
std::string ErrorJson(const std::string& message);

class UpstreamProxy {
 public:
  // `name` labels the upstream in errors ("cloud-scheduler-emulator"). `timeout` bounds connecting and
  // each read/write (default 5 s; > 0).
  UpstreamProxy(std::string name, UpstreamAddress address, absl::Duration timeout = absl::Seconds(5));

  // Sends `request` and returns the upstream's answer, or a 502 ErrorJson when there is none.
  ProxyResponse Forward(const ProxyRequest& request) const;

  const std::string& name() const { return name_; }
  const UpstreamAddress& address() const { return address_; }
  // "host:port".
  std::string Authority() const;

 private:
  const std::string name_;
  const UpstreamAddress address_;
  const absl::Duration timeout_;
};

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_UPSTREAM_PROXY_H_
