#include "bench/bench_support.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "testing/child_process.h"

namespace schedsvc::bench {

double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix) {
  std::string path = absl::StrCat("/tmp/", prefix, "-XXXXXX");
  if (::mkdtemp(path.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", path, ": ", std::strerror(errno)));
  }
  return path;
}

long ProcKib(pid_t pid, absl::string_view file, absl::string_view key) {
  std::istringstream in(testing::ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/", file)));
  const std::string prefix = absl::StrCat(key, ":");
  for (std::string line; std::getline(in, line);) {
    if (!absl::StartsWith(line, prefix)) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    long v = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &v)) return v;
  }
  return -1;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  ::pclose(p);
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

}  // namespace schedsvc::bench
