#include "testing/stalled_pipe.h"

#include <fcntl.h>
#include <unistd.h>

namespace schedsvc::testing {

StalledPipe::StalledPipe(int pipe_bytes) {
  int fds[2];
  ok_ = ::pipe2(fds, O_CLOEXEC) == 0;
  if (!ok_) return;
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  ok_ = ::fcntl(write_fd_, F_SETPIPE_SZ, pipe_bytes) >= 0 && ::fcntl(read_fd_, F_SETFL, O_NONBLOCK) == 0;
}

StalledPipe::~StalledPipe() {
  CloseReadEnd();
  if (write_fd_ >= 0) ::close(write_fd_);
}

void StalledPipe::CloseReadEnd() {
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = -1;
}

std::string StalledPipe::ReadAvailable() {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(read_fd_, buffer, sizeof(buffer));
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string StalledPipe::DrainUntil(absl::FunctionRef<bool()> flushed, int max_steps) {
  std::string out;
  for (int step = 0; step < max_steps; ++step) {
    out += ReadAvailable();
    if (flushed()) break;
  }
  return out + ReadAvailable();
}

}  // namespace schedsvc::testing
