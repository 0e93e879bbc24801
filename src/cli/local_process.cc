#include "src/cli/local_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

namespace schedsvc::cli {
namespace {

bool Executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

}  // namespace

absl::StatusOr<std::unique_ptr<LocalProcess>> LocalProcess::Start(
    const std::string& name, const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env, const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("opening ", log_path, ": ", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError(absl::StrCat("fork for ", name, ": ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // own group: Ctrl-C reaches schedctl only; we stop children in order
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so a Stop() right after Start() finds the group
  ::close(log_fd);
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
  const bool bound = ::bind(bind_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(bind_fd);
  return bound;
}

bool WaitForLoopbackPort(int port, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (ok) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

}  // namespace schedsvc::cli
