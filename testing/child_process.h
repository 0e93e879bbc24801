// ChildProcess: starts a program for a test (an emulator, a demo backend, one of our binaries), with its
// output appended to a log file, and stops exactly that process by PID. The destructor stops it too.
// RunToExit runs a program to its exit and returns its exit code and output.
#ifndef SCHEDSVC_TESTING_CHILD_PROCESS_H_
#define SCHEDSVC_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace schedsvc::testing {

class ChildProcess {
 public:
  // Starts argv[0] (searched on PATH) with `argv`, the current environment plus `extra_env`, and stdout
  // and stderr appended to `log_path`. kInternal if the process cannot be started. The program is killed
  // (SIGKILL) if the thread that started it dies first, so start it from a thread that outlives it (the
  // test's or the bench's main thread).
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::map<std::string, std::string>& extra_env,
                                            const std::string& log_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();

  // Sends `signal`, then waits up to `grace` for the exit; SIGKILL after that. Returns the exit status as
  // waitpid reports it, or -1 if there was no process.
  int Stop(int signal = 15, absl::Duration grace = absl::Seconds(10));

  // Waits up to `timeout` for the process to exit on its own; returns its wait status or -1 on timeout.
  int Wait(absl::Duration timeout);

  const std::string& log_path() const { return log_path_; }

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  std::string log_path_;
};

// How a program run by RunToExit ended.
struct RunResult {
  // Its exit code; -1 if it was ended by a signal or had not exited within the timeout.
  int exit_code = -1;
  // What it wrote to stdout and stderr (the log file's contents once it ended or timed out).
  std::string output;
};

// Runs `argv` as ChildProcess::Start does and waits up to `timeout` for it to exit; if it is still
// running then, it is stopped. kInternal if the process cannot be started.
absl::StatusOr<RunResult> RunToExit(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& extra_env,
                                    const std::string& log_path, absl::Duration timeout);

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released).
int PickFreePort();

// Waits until something accepts TCP connections on 127.0.0.1:`port`. Returns false after `timeout`.
bool WaitForPort(int port, absl::Duration timeout);

// Returns the path of the executable called `name` anywhere under BuildDir() (CMakeFiles skipped), or ""
// when it has not been built.
std::string FindBuiltBinary(const std::string& name);

// Returns the contents of `path` ("" if unreadable).
std::string ReadFileOrEmpty(const std::string& path);

// Returns the directory holding the built binaries (this test's own directory's build root), taken
// from SCHEDSVC_BUILD_DIR or derived from /proc/self/exe.
std::string BuildDir();

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_CHILD_PROCESS_H_
