#include "bench/nginx_backend.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/bench_support.h"

namespace schedsvc::bench {

// nginx with auth_basic in front of a location that answers 200 (`return 200;` in a named location
// reached by try_files, so the access phase -- auth_basic -- runs first; a plain `return` would answer
// in the rewrite phase, before authentication).
absl::StatusOr<Nginx> StartNginx(const std::string& dir, absl::string_view user, absl::string_view password,
                                 absl::string_view scheme) {
  std::string hash;
  if (scheme == "apr1") {
    hash = RunCommand(absl::StrCat("openssl passwd -apr1 '", password, "'"));
    if (!absl::StartsWith(hash, "$apr1$")) return absl::InternalError("openssl passwd -apr1 failed");
  } else if (scheme == "ssha") {
    // {SSHA}: base64(SHA-1(password + salt) + salt), one hash per request in nginx.
    WriteFile(dir + "/salt", "s4lt-b3nch");
    WriteFile(dir + "/password-salt", absl::StrCat(password, "s4lt-b3nch"));
    hash = "{SSHA}" + RunCommand(absl::StrCat("cd '", dir, "' && openssl dgst -sha1 -binary password-salt | cat - salt | ",
                                               "openssl base64 -A"));
    if (hash.size() < 6 + 28) return absl::InternalError("openssl dgst -sha1 failed");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown htpasswd scheme '", scheme, "' (ssha or apr1)"));
  }
  WriteFile(dir + "/htpasswd", absl::StrCat(user, ":", hash, "\n"));
  std::filesystem::create_directories(dir + "/www");
  Nginx n;
  n.port = testing::PickFreePort();
  n.access_log = dir + "/access.log";
  WriteFile(dir + "/nginx.conf",
            absl::StrCat("daemon off;\nmaster_process off;\nworker_processes 1;\npid ", dir, "/nginx.pid;\n",
                         "error_log ", dir, "/nginx-error.log warn;\n",
                         "events { worker_connections 4096; }\n",
                         "http {\n  log_format lat '$msec $http_idempotency_key $status';\n",
                         "  access_log ", n.access_log, " lat buffer=256k flush=500ms;\n",
                         "  client_body_temp_path ", dir, "/tmp-body;\n  proxy_temp_path ", dir, "/tmp-proxy;\n",
                         "  fastcgi_temp_path ", dir, "/tmp-fcgi;\n  uwsgi_temp_path ", dir, "/tmp-uwsgi;\n",
                         "  scgi_temp_path ", dir, "/tmp-scgi;\n",
                         "  keepalive_requests 1000000;\n  keepalive_timeout 120s;\n",
                         "  server {\n    listen 127.0.0.1:", n.port, ";\n    root ", dir, "/www;\n",
                         "    location / {\n      auth_basic \"bench\";\n      auth_basic_user_file ", dir,
                         "/htpasswd;\n      try_files /nonexistent @ok;\n    }\n",
                         "    location @ok { return 200; }\n  }\n}\n"));
  auto started = testing::ChildProcess::Start({"/usr/sbin/nginx", "-p", dir, "-c", dir + "/nginx.conf"}, {},
                                              dir + "/nginx.out");
  if (!started.ok()) return started.status();
  n.process = std::make_unique<testing::ChildProcess>(std::move(*started));
  if (!testing::WaitForPort(n.port, absl::Seconds(10))) {
    return absl::UnavailableError("nginx did not listen: " + testing::ReadFileOrEmpty(dir + "/nginx-error.log") +
                                  testing::ReadFileOrEmpty(dir + "/nginx.out"));
  }
  return n;
}

}  // namespace schedsvc::bench
