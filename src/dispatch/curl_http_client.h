// CurlHttpClient: the production HttpClient, on libcurl's multi interface with ONE event-loop thread.
// Every request is an easy handle added to one multi handle, so thousands can be in flight without a
// thread each; the multi handle's connection cache gives keep-alive reuse, and HTTP/2 is negotiated by
// ALPN on https (CURL_HTTP_VERSION_2TLS) and multiplexed, HTTP/1.1 otherwise. TLS peers are verified
// against the system CA store unless a request says tls_verify = false. Only http and https URLs are
// accepted, and redirects are never followed. A request is sent at most once: when a reused
// connection dies before any answer, curl would re-send the request on a new connection (and a backend
// that had received it would run it twice, unseen); the client refuses that re-send and fails the
// request with kUnavailable instead, so every send is an attempt its caller counts.
//
// The loop is driven by curl_multi_socket_action over epoll: curl tells us which sockets to watch
// (CURLMOPT_SOCKETFUNCTION) and when its next timeout is due (CURLMOPT_TIMERFUNCTION, used as the
// epoll_wait timeout), so a wake-up costs O(ready sockets) however many connections are open.
//
// Threads: Send() may be called from any thread; it queues the request and wakes the loop (an eventfd,
// written once per batch of queued requests). The loop thread runs no blocking work: with
// CurlHttpClientOptions::callback_executor set (the service sets it), every completion callback is
// posted to that executor, so callers' policy, logging and file reads happen there; the callbacks of
// one loop turn share executor tasks (a few per task, run in order), which saves a thread wake-up per
// request under load. Without one
// (benches, tests) callbacks run on the loop thread and must be short and never block. A callback may
// call Send(). Shutdown() (also run by the destructor) stops the loop and fails every queued and
// in-flight request with kCancelled on the calling thread; Send() after Shutdown() fails at once with
// kCancelled on the caller's thread.
#ifndef SCHEDSVC_DISPATCH_CURL_HTTP_CLIENT_H_
#define SCHEDSVC_DISPATCH_CURL_HTTP_CLIENT_H_

#include <memory>

#include "src/common/executor.h"
#include "src/dispatch/http_client.h"

namespace schedsvc::dispatch {

struct CurlHttpClientOptions {
  // Connections kept open per host (curl's CURLMOPT_MAX_HOST_CONNECTIONS); requests beyond them wait
  // inside curl for a free connection. Default 0 = no limit (the per-backend ConcurrencyLimiter bounds
  // it); >= 0.
  long max_connections_per_host = 0;
  // Idle connections kept in the cache (CURLMOPT_MAXCONNECTS). Default 0 = curl's default; >= 0.
  long max_cached_connections = 0;
  // Longest a connection attempt may take, inside the request timeout. Default 10 s; > 0.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Offer HTTP/2 (ALPN h2 on https; h2c is never attempted on http). Default true.
  bool http2 = true;
  // Where completion callbacks run: posted to this executor when set (it must outlive the client, and
  // keep running closures until Shutdown() has returned), on the loop thread when null. Default null.
  Executor* callback_executor = nullptr;
};

class CurlHttpClient final : public HttpClient {
 public:
  // Starts the event-loop thread. kInternal if libcurl, epoll or the eventfd cannot be set up.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options = {});

  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  void Send(HttpRequest request, HttpCallback done) override;

  // Stops the loop and fails all unfinished requests with kCancelled. Idempotent; blocks until the loop
  // thread has exited. Must not be called from a callback.
  void Shutdown();

  // Returns the number of new connections curl has opened so far (sum of CURLINFO_NUM_CONNECTS): with
  // keep-alive working this stays far below the number of requests. Thread-safe.
  long connections_opened() const;

  // Returns how many times curl re-sent a request on a fresh connection because the reused connection it
  // was first sent on closed before any answer (see OnPrereq in the .cc). Thread-safe.
  long resends() const;

 private:
  class Impl;
  explicit CurlHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_CURL_HTTP_CLIENT_H_
