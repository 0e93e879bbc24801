#include "src/cli/local_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace schedsvc::cli {
namespace {

constexpr char kSetpriv[] = "/usr/bin/setpriv";

bool Executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

}  // namespace

absl::StatusOr<std::unique_ptr<LocalProcess>> LocalProcess::Start(
    const std::string& name, const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env, const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  // The environment and argument vectors are built here, before the child exists: schedctl runs gRPC
  // threads, and between fork and exec a child of a threaded process may only make async-signal-safe
  // calls (no setenv, no stdio). posix_spawn does the rest.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  // Through util-linux's setpriv, which asks the kernel to SIGKILL the program when schedctl (the thread
  // that started it) dies, even by SIGKILL, and then execs it under the same PID.
  std::vector<std::string> args;
  if (Executable(kSetpriv)) args = {kSetpriv, "--pdeathsig", "KILL", "--"};
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> argvp;
  for (auto& a : args) argvp.push_back(a.data());
  argvp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group (Ctrl-C reaches schedctl only; children are stopped in order), no blocked signals,
  // and default dispositions for the signals schedctl handles or ignores.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argvp[0], &actions, &attr, argvp.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("starting ", name, " (", argv[0], "): ", std::strerror(rc)));
  }
  return std::unique_ptr<LocalProcess>(new LocalProcess(name, pid, log_path));
}

LocalProcess::~LocalProcess() { Stop(); }

bool LocalProcess::Running() {
  if (exited_) return false;
  const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) exited_ = true;
  return !exited_;
}

std::string LocalProcess::Stop(absl::Duration grace) {
  if (!Running()) return absl::StrCat(name_, " (pid ", pid_, ") had exited");
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  while (Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  if (Running()) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    exited_ = true;
    return absl::StrCat(name_, " (pid ", pid_, ") killed after ", absl::FormatDuration(grace));
  }
  // Whatever the child left in its group (e.g. the emulator's JVM under its launcher script).
  ::kill(-pid_, SIGKILL);
  return absl::StrCat(name_, " (pid ", pid_, ") stopped");
}

absl::StatusOr<std::string> FindPipelineBinary(const std::string& name, const std::string& relative_to_build) {
  std::vector<std::string> tried;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path dir = self.parent_path();
    // Installed side by side, or schedctl in <build>/src/cli with the others under <build>/.
    for (const std::filesystem::path& candidate :
         {dir / name, dir.parent_path().parent_path() / relative_to_build}) {
      tried.push_back(candidate.string());
      if (Executable(candidate.string())) return candidate.lexically_normal().string();
    }
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view d : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      const std::string candidate = absl::StrCat(d, "/", name);
      if (Executable(candidate)) return candidate;
    }
    tried.push_back("$PATH");
  }
  return absl::NotFoundError(absl::StrCat(name, " not found (looked in ", absl::StrJoin(tried, ", "),
                                          "); build it with: cmake --build build --target ", name));
}

absl::StatusOr<std::string> FindPubsubEmulator() {
  constexpr char kRelative[] = "/platform/pubsub-emulator/bin/cloud-pubsub-emulator";
  if (const char* bin = std::getenv("PUBSUB_EMULATOR_BIN"); bin != nullptr && *bin != '\0') {
    if (Executable(bin)) return std::string(bin);
    return absl::NotFoundError(absl::StrCat("PUBSUB_EMULATOR_BIN=", bin, " is not executable"));
  }
  const std::string fallback = absl::StrCat("/usr/lib/google-cloud-sdk", kRelative);
  if (Executable(fallback)) return fallback;
  std::string root;
  if (FILE* pipe = ::popen("gcloud info --format='value(installation.sdk_root)' 2>/dev/null", "r")) {
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) root += buf.data();
    ::pclose(pipe);
  }
  const std::string from_gcloud = absl::StrCat(absl::StripTrailingAsciiWhitespace(root), kRelative);
  if (!root.empty() && Executable(from_gcloud)) return from_gcloud;
  return absl::NotFoundError(
      "the Pub/Sub emulator was not found (set PUBSUB_EMULATOR_BIN, or install it with scripts/install-deps.sh)");
}

bool LoopbackPortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (connected) return false;
  const int bind_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (bind_fd < 0) return false;
  // As the servers bind (cpp-httplib and gRPC set SO_REUSEPORT, the JVM SO_REUSEADDR; the kernel lets a
  // socket with the same option bind over their sockets in TIME_WAIT): a stopped server's connections in
  // TIME_WAIT do not make the port taken; a listener does (the connect above found it).
  const int one = 1;
  ::setsockopt(bind_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  ::setsockopt(bind_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  const bool bound = ::bind(bind_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(bind_fd);
  return bound;
}

bool WaitForLoopbackPort(int port, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // At least one try, however late this thread runs.
  for (bool first = true; first || absl::Now() < deadline; first = false) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (ok) return true;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::SleepFor(std::min(left, absl::Milliseconds(100)));
  }
  return false;
}

}  // namespace schedsvc::cli
