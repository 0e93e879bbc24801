#include "src/common/http_server_limits.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/common/connection_thread_pool.h"

namespace schedsvc {
namespace {

constexpr int kLengthRequired = 411;

}  // namespace

void ApplyHttpServerLimits(const HttpServerLimits& limits, httplib::Server& server) {
  server.set_payload_max_length(limits.max_request_bytes);
  server.set_read_timeout(absl::ToChronoMicroseconds(limits.read_timeout));
  server.set_write_timeout(absl::ToChronoMicroseconds(limits.write_timeout));
  server.set_keep_alive_timeout(static_cast<time_t>(
      std::max<int64_t>(1, absl::ToInt64Seconds(limits.keep_alive_timeout))));
  server.set_keep_alive_max_count(limits.keep_alive_max_count);
  const std::size_t threads = limits.max_connection_threads;
  server.new_task_queue = [threads]() -> httplib::TaskQueue* { return new ConnectionThreadPool(threads); };
}

int BindHttpServer(httplib::Server& server, const std::string& host, int port) {
  // cpp-httplib creates, binds and listens in one call and keeps the socket private: note the last socket
  // it configures (the one that was bound), then listen again on it, which on Linux resizes the backlog.
  auto bound_socket = std::make_shared<int>(-1);
  server.set_socket_options([bound_socket](socket_t sock) {
    httplib::default_socket_options(sock);
    *bound_socket = sock;
  });
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return -1;
  // Listening again on a listening socket only resizes its queue; a failure leaves the server unusable
  // for bursts, so it is reported like a failed bind.
  if (*bound_socket < 0 || ::listen(*bound_socket, SOMAXCONN) != 0) return -1;
  return bound;
}

bool RefuseBodyWithoutLength(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("Transfer-Encoding")) return false;
  res.status = kLengthRequired;
  res.set_header("Connection", "close");
  return true;
}

std::thread ServeInBackground(httplib::Server& server) {
  // cpp-httplib 0.11 has no "ready" signal: poll is_running(), or the end of a serve that failed at once.
  constexpr absl::Duration kPoll = absl::Microseconds(50);
  auto ended = std::make_shared<std::atomic<bool>>(false);
  std::thread serving([&server, ended] {
    server.listen_after_bind();
    ended->store(true);
  });
  while (!server.is_running() && !ended->load()) absl::SleepFor(kPoll);
  return serving;
}

}  // namespace schedsvc
