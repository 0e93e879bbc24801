// LocalProcess: one child process of `schedctl up`, started with posix_spawn in its own process group
// with its output in a log file, killed by the kernel if schedctl dies (PR_SET_PDEATHSIG through
// setpriv), and stopped by PID (SIGTERM to its group, wait, then SIGKILL). Also: finding the
// pipeline's binaries and checking that a loopback port is free. Not thread-safe; owned by one thread.
#ifndef SCHEDSVC_CLI_LOCAL_PROCESS_H_
#define SCHEDSVC_CLI_LOCAL_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace schedsvc::cli {

class LocalProcess {
 public:
  // Starts `argv` (argv[0] a path) with `env` added to this process's environment, stdout and stderr
  // appended to `log_path`, in a new process group. The child is SIGKILLed when the thread that started
  // it ends, so start it from the main thread. `name` labels it in messages. kInternal if it cannot be
  // spawned (a program that cannot be executed exits at once with status 127 instead).
  static absl::StatusOr<std::unique_ptr<LocalProcess>> Start(const std::string& name,
                                                             const std::vector<std::string>& argv,
                                                             const std::map<std::string, std::string>& env,
                                                             const std::string& log_path);
  ~LocalProcess();  // Stop()s if still running.
  LocalProcess(const LocalProcess&) = delete;
  LocalProcess& operator=(const LocalProcess&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True while the child has not exited (reaps it if it has).
  bool Running();

  // SIGTERM to the child's process group, up to `grace` for it to exit, then SIGKILL. Returns a line
  // saying how it ended. Idempotent.
  std::string Stop(absl::Duration grace = absl::Seconds(10));

 private:
  LocalProcess(std::string name, pid_t pid, std::string log_path)
      : name_(std::move(name)), pid_(pid), log_path_(std::move(log_path)) {}

  std::string name_;
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
  int status_ = 0;
};

// Finds an executable: next to this binary's build tree (/proc/self/exe's directory, then
// `relative_to_build` from the build root, e.g. "src/demo_backend/demo-backend"), then on PATH.
// kNotFound naming what was searched.
absl::StatusOr<std::string> FindPipelineBinary(const std::string& name, const std::string& relative_to_build);

// Finds Google's Pub/Sub emulator: $PUBSUB_EMULATOR_BIN, the default SDK root, then `gcloud info`'s.
absl::StatusOr<std::string> FindPubsubEmulator();

// True if nothing accepts connections on 127.0.0.1:`port` and it can be bound with SO_REUSEADDR and
// SO_REUSEPORT, as the servers bind it (a stopped server's sockets in TIME_WAIT do not count).
bool LoopbackPortFree(int port);

// True once 127.0.0.1:`port` accepts a TCP connection, polling until `timeout` (at least one try, also
// when the timeout has passed by the time it runs).
bool WaitForLoopbackPort(int port, absl::Duration timeout);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_LOCAL_PROCESS_H_
