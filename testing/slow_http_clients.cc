#include "testing/slow_http_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace schedsvc::testing {
namespace {

// Sends `text` without raising SIGPIPE; a server that closed the connection is not an error here.
void SendQuietly(int fd, const std::string& text) { send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

}  // namespace

absl::Status SlowHttpClients::Start(int port, int count, const std::string& request_line,
                                    absl::Duration interval, int rounds) {
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      const std::string error = std::strerror(errno);
      if (fd >= 0) close(fd);
      Stop();
      return absl::UnavailableError(absl::StrCat("slow client ", i, " cannot connect to port ", port, ": ", error));
    }
    fds_.push_back(fd);
  }
  for (int fd : fds_) SendQuietly(fd, request_line);
  thread_ = std::thread([this, interval, rounds] {
    for (int round = 0; round < rounds; ++round) {
      if (stop_.WaitForNotificationWithTimeout(interval)) return;
      const std::string line = absl::StrCat("X-Slow-", round, ": a\r\n");
      for (int fd : fds_) SendQuietly(fd, line);
    }
  });
  return absl::OkStatus();
}

void SlowHttpClients::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
  for (int fd : fds_) close(fd);
  fds_.clear();
}

}  // namespace schedsvc::testing
