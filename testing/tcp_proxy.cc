#include "testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace schedsvc::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Writes all of `data`; false if the peer is gone.
bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

absl::Status TcpProxy::Start() {
  if (listen_fd_ >= 0) return absl::FailedPreconditionError("TcpProxy is already running");
  if (::pipe(stop_pipe_) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(port_.load());
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 64) != 0) {
    const int err = errno;
    Stop();
    return absl::InternalError(absl::StrCat("TcpProxy cannot listen on 127.0.0.1:", port_.load(), ": ",
                                            std::strerror(err)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void TcpProxy::Stop() {
  if (stop_pipe_[1] >= 0) {
    const char byte = 'x';
    (void)!::write(stop_pipe_[1], &byte, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<Connection> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  // Shutting the sockets down wakes a pump blocked in send(); the stop pipe wakes one in poll().
  for (auto& c : connections) {
    ::shutdown(c.client_fd, SHUT_RDWR);
    ::shutdown(c.upstream_fd, SHUT_RDWR);
  }
  for (auto& c : connections) {
    if (c.pump.joinable()) c.pump.join();
    ::close(c.client_fd);
    ::close(c.upstream_fd);
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  for (int& fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void TcpProxy::AcceptLoop() {
  while (true) {
    std::array<pollfd, 2> fds = {pollfd{listen_fd_, POLLIN, 0}, pollfd{stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target = Loopback(target_port_);
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      ::close(upstream);
      ::close(client);
      continue;
    }
    SetNoDelay(client);
    SetNoDelay(upstream);
    ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    Connection c;
    c.client_fd = client;
    c.upstream_fd = upstream;
    c.pump = std::thread([this, client, upstream] { Pump(client, upstream); });
    connections_.push_back(std::move(c));
  }
}

void TcpProxy::Pump(int client_fd, int upstream_fd) {
  std::array<char, 64 * 1024> buf;
  while (true) {
    std::array<pollfd, 3> fds = {pollfd{client_fd, POLLIN, 0}, pollfd{upstream_fd, POLLIN, 0},
                                 pollfd{stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (fds[i].revents == 0) continue;
      const int from = i == 0 ? client_fd : upstream_fd;
      const int to = i == 0 ? upstream_fd : client_fd;
      const ssize_t n = ::recv(from, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !WriteAll(to, buf.data(), static_cast<std::size_t>(n))) done = true;
    }
    if (done) break;
  }
  // Either side ending ends the pair: the other side sees the connection close, as after a cut.
  ::shutdown(client_fd, SHUT_RDWR);
  ::shutdown(upstream_fd, SHUT_RDWR);
}

}  // namespace schedsvc::testing
