#include "src/common/http_server_limits.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

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

bool RefuseBodyWithoutLength(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("Transfer-Encoding")) return false;
  res.status = kLengthRequired;
  res.set_header("Connection", "close");
  return true;
}

}  // namespace schedsvc
