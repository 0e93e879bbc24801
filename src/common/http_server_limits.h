// Limits for the project's cpp-httplib servers, so that a careless or hostile client cannot make a server
// buffer without bound or starve its other clients: a request size limit (larger bodies get 413 and are
// read and discarded, never kept), a refusal of bodies without a declared size (Transfer-Encoding, for
// which cpp-httplib 0.11 applies no size limit), read/write/keep-alive timeouts, and a thread for each
// connection up to a bound (connection_thread_pool.h). One plain options
// struct and free functions; the server is configured once before it listens. Stateless; thread-safe.
#ifndef SCHEDSVC_COMMON_HTTP_SERVER_LIMITS_H_
#define SCHEDSVC_COMMON_HTTP_SERVER_LIMITS_H_

#include <cstddef>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace schedsvc {

struct HttpServerLimits {
  // Largest request body accepted; a larger Content-Length gets 413 (the body is read and discarded, never
  // stored). Default 2 MiB; > 0.
  std::size_t max_request_bytes = 2 * 1024 * 1024;
  // How long one read or write on a connection may wait. Default 5 s; > 0.
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);
  // How long an idle connection (before its first request or between requests) is kept. Default 5 s; > 0.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // Requests served on one connection before it is closed. Default 1: cpp-httplib 0.11 cannot close a
  // connection after refusing a request early (411 before the body is read), and would then parse the
  // unread body as the next request, buffering a line without a newline whole. One request per connection
  // leaves nothing to parse; a client reconnects for the next. >= 1.
  std::size_t keep_alive_max_count = 1;
  // Connections served at once, each on its own thread (ConnectionThreadPool); further connections wait
  // for a thread. A client that trickles its request holds one thread, so a few slow clients cannot starve
  // a probe the way they starve httplib's default pool of max(8, cores - 1). Default 256; >= 1.
  std::size_t max_connection_threads = 256;
};

// Binds `server` to host:port (port 0: any free port) and listens with a backlog of SOMAXCONN (capped by
// net.core.somaxconn) instead of cpp-httplib 0.11's fixed 5, with which a burst of new connections (a
// client starting many requests at once) overflows the accept queue: the kernel drops the SYNs beyond it
// and the clients retry after 1 s, 3 s, 7 s... Returns the bound port, or -1 when binding fails. Call
// after ApplyHttpServerLimits and before listen_after_bind(); replaces the server's socket options with
// cpp-httplib's defaults.
int BindHttpServer(httplib::Server& server, const std::string& host, int port);

// Starts serving a bound `server` (BindHttpServer) on a new thread and returns once it is running, so a
// stop() that follows takes effect: cpp-httplib 0.11's stop() does nothing before listen_after_bind() has
// marked the server running. The caller calls server.stop() and joins the thread.
std::thread ServeInBackground(httplib::Server& server);

// Applies `limits` to `server` (call before it listens).
void ApplyHttpServerLimits(const HttpServerLimits& limits, httplib::Server& server);

// For a pre-routing handler (it runs before the body is read): returns true, with status 411 (no body: the
// server's error handler may add one) and `Connection: close` in `res`, when `req` announces a body without
// a Content-Length (any Transfer-Encoding), whose size no limit would bound. The caller then reports the
// request as handled. The `Connection: close` tells the client; cpp-httplib 0.11 itself does not close on
// it, so the unread body is kept from being parsed as a next request only by keep_alive_max_count = 1.
bool RefuseBodyWithoutLength(const httplib::Request& req, httplib::Response& res);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_HTTP_SERVER_LIMITS_H_
