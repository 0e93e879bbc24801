// An nginx 1.22 backend for benchmarks (Debian's /usr/sbin/nginx): one worker on 127.0.0.1, auth_basic in
// front of a location that answers 200, an access log line "$msec $http_idempotency_key $status" per
// request. Used by service_dispatch_bench and http_client_bench.
#ifndef SCHEDSVC_BENCH_NGINX_BACKEND_H_
#define SCHEDSVC_BENCH_NGINX_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "testing/child_process.h"

namespace schedsvc::bench {

struct Nginx {
  std::unique_ptr<testing::ChildProcess> process;
  int port = 0;
  std::string access_log;
};

// Starts nginx with its files in `dir` (which must exist), accepting `user`:`password`. `scheme` is how
// the htpasswd stores the password: "ssha" ({SSHA}, one SHA-1 per request) or "apr1" (1,000 MD5 rounds per
// request). Needs openssl on PATH.
absl::StatusOr<Nginx> StartNginx(const std::string& dir, absl::string_view user, absl::string_view password,
                                 absl::string_view scheme);

}  // namespace schedsvc::bench

#endif  // SCHEDSVC_BENCH_NGINX_BACKEND_H_
