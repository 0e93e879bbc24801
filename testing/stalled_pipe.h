// A pipe whose read end the test holds and reads only when it chooses to: the writer side (a logger, a
// child's stdout) sees a reader that has stalled. The kernel buffer is set small so a stall shows after a
// few lines. Not thread-safe; one test owns it.
#ifndef SCHEDSVC_TESTING_STALLED_PIPE_H_
#define SCHEDSVC_TESTING_STALLED_PIPE_H_

#include <string>

#include "absl/functional/function_ref.h"

namespace schedsvc::testing {

class StalledPipe {
 public:
  // The smallest pipe buffer Linux grants: one page.
  static constexpr int kMinPipeBytes = 4096;

  explicit StalledPipe(int pipe_bytes = kMinPipeBytes);
  ~StalledPipe();
  StalledPipe(const StalledPipe&) = delete;
  StalledPipe& operator=(const StalledPipe&) = delete;

  // False when the pipe could not be made (the test should stop).
  bool ok() const { return ok_; }
  int write_fd() const { return write_fd_; }
  void CloseReadEnd();

  // Whatever the pipe holds now; never blocks.
  std::string ReadAvailable();
  // Reads the pipe, then asks `flushed` (which may wait a step), until it says the writer has written
  // everything or `max_steps` steps have passed; returns all that was read.
  std::string DrainUntil(absl::FunctionRef<bool()> flushed, int max_steps);

 private:
  bool ok_ = false;
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_STALLED_PIPE_H_
