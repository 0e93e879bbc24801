// TcpProxy: a loopback TCP forwarder for integration tests that need to cut a connection mid-stream.
// It listens on 127.0.0.1:`listen_port` and forwards every accepted connection to 127.0.0.1:`target_port`,
// byte for byte in both directions. Stop() closes the listener and every forwarded connection (both
// sides), as a network cut would; Start() listens again on the same port. One thread accepts, one thread
// per connection pumps bytes. Start/Stop are called from one test thread; port() is thread-safe.
#ifndef SCHEDSVC_TESTING_TCP_PROXY_H_
#define SCHEDSVC_TESTING_TCP_PROXY_H_

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace schedsvc::testing {

class TcpProxy {
 public:
  // `listen_port` 0 picks a free port on the first Start(); later Start() calls reuse it.
  TcpProxy(int listen_port, int target_port) : port_(listen_port), target_port_(target_port) {}
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  ~TcpProxy() { Stop(); }

  // Listens and starts forwarding. kFailedPrecondition if already running; kInternal (with the errno
  // text) if the port cannot be bound.
  absl::Status Start();

  // Closes the listener and all forwarded connections, and joins every thread. Idempotent.
  void Stop();

  int port() const { return port_.load(); }
  // Connections accepted since construction.
  int accepted() const { return accepted_.load(); }

 private:
  struct Connection {
    int client_fd = -1;
    int upstream_fd = -1;
    std::thread pump;
  };

  void AcceptLoop();
  void Pump(int client_fd, int upstream_fd);

  std::atomic<int> port_;
  const int target_port_;
  std::atomic<int> accepted_{0};
  int listen_fd_ = -1;
  // A pipe whose read end becomes readable when Stop() wants every thread to finish.
  int stop_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<Connection> connections_;  // guarded by mu_
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_TCP_PROXY_H_
