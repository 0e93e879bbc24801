// SlowHttpClients: a test's hostile crowd for an HTTP server on 127.0.0.1: `count` connections that each
// start a request line and then send one more header line every `interval`, never finishing the request,
// for at most `rounds` rounds (bounded in count and time). Used to prove that such clients do not starve
// a server's health probe. Start() and Stop() are called from one test thread.
#ifndef SCHEDSVC_TESTING_SLOW_HTTP_CLIENTS_H_
#define SCHEDSVC_TESTING_SLOW_HTTP_CLIENTS_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace schedsvc::testing {

// The crowd the probe tests use: a hundred clients, a header line from each every second.
inline constexpr int kSlowClients = 100;
inline constexpr absl::Duration kTrickleInterval = absl::Seconds(1);
// Time for their connections to be accepted and their requests started.
inline constexpr absl::Duration kSlowClientsStart = absl::Seconds(2);
// How long a probe may take while they trickle (the deploy's liveness timeout is 2 s).
inline constexpr int kProbeTimeoutSeconds = 3;

class SlowHttpClients {
 public:
  SlowHttpClients() = default;
  SlowHttpClients(const SlowHttpClients&) = delete;
  SlowHttpClients& operator=(const SlowHttpClients&) = delete;
  ~SlowHttpClients() { Stop(); }

  // Connects `count` clients to 127.0.0.1:`port`, sends each `request_line` (e.g. "GET /healthz
  // HTTP/1.1\r\n") and starts a thread that sends every client a header line each `interval`, up to
  // `rounds` times. kUnavailable (naming the connection) if a connection fails; then nothing runs.
  absl::Status Start(int port, int count, const std::string& request_line, absl::Duration interval, int rounds);

  // Stops trickling and closes every connection. Idempotent.
  void Stop();

 private:
  std::vector<int> fds_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_SLOW_HTTP_CLIENTS_H_
