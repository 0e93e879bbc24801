#include "src/common/http_server_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"

namespace schedsvc {
namespace {

constexpr char kLoopback[] = "127.0.0.1";
// A burst of new connections, as a client with many messages in flight opens at start.
constexpr int kBurst = 64;
// Loopback handshakes complete in microseconds; a SYN dropped by a full accept queue is retried after 1 s
// and dropped again while nothing accepts, so this bound separates the two without timing anything.
constexpr absl::Duration kHandshakeBound = absl::Seconds(5);

// Starts kBurst non-blocking connects to 127.0.0.1:port and returns how many complete their handshake
// within kHandshakeBound while nothing accepts them.
int HandshakesCompleted(int port) {
  std::vector<pollfd> pending;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, kLoopback, &addr.sin_addr);
  for (int i = 0; i < kBurst; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    pending.push_back({fd, POLLOUT, 0});
  }
  int completed = 0;
  std::vector<int> done;
  const absl::Time deadline = absl::Now() + kHandshakeBound;
  while (!pending.empty() && absl::Now() < deadline) {
    const int left_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (::poll(pending.data(), pending.size(), std::max(left_ms, 1)) <= 0) break;
    std::vector<pollfd> still;
    for (const pollfd& p : pending) {
      if (p.revents == 0) {
        still.push_back(p);
        continue;
      }
      int error = 0;
      socklen_t len = sizeof(error);
      ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error == 0) ++completed;
      done.push_back(p.fd);
    }
    pending = std::move(still);
  }
  for (const pollfd& p : pending) ::close(p.fd);
  for (int fd : done) ::close(fd);
  return completed;
}

TEST(BindHttpServerTest, ABurstOfConnectionsIsQueuedNotDroppedWhileTheServerIsBusy) {
  httplib::Server server;
  const int port = BindHttpServer(server, kLoopback, 0);
  ASSERT_GT(port, 0);
  // Bound and listening, but never accepting: every connection waits in the accept queue.
  EXPECT_EQ(HandshakesCompleted(port), kBurst);
}

TEST(BindHttpServerTest, AnAddressThatCannotBeBoundIsMinusOne) {
  if (testing::ReadFileOrEmpty("/proc/sys/net/ipv4/ip_nonlocal_bind").starts_with("1")) {
    GTEST_SKIP() << "net.ipv4.ip_nonlocal_bind is 1: any address can be bound here";
  }
  httplib::Server server;
  EXPECT_EQ(BindHttpServer(server, "192.0.2.1", 0), -1);  // TEST-NET-1: not an address of this machine
}

// Stop() right after the server starts serving must return: cpp-httplib 0.11's stop() does nothing until
// listen_after_bind() has marked the server running, so a stop that came first left listen_after_bind()
// serving for ever and the join hanging (ctest reports a timeout).
TEST(ServeInBackgroundTest, StopRightAfterServingStartsReturns) {
  constexpr int kRounds = 200;
  for (int i = 0; i < kRounds; ++i) {
    httplib::Server server;
    ASSERT_GT(BindHttpServer(server, "127.0.0.1", 0), 0);
    std::thread serving = ServeInBackground(server);
    server.stop();
    serving.join();
  }
}

}  // namespace
}  // namespace schedsvc
