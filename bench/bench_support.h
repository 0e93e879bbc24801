// Small helpers shared by the benchmark programs in bench/: process CPU time, a scratch directory,
// /proc fields of another process, files and shell commands.
#ifndef SCHEDSVC_BENCH_BENCH_SUPPORT_H_
#define SCHEDSVC_BENCH_BENCH_SUPPORT_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::bench {

// User + system CPU time of this process so far, in seconds (getrusage RUSAGE_SELF).
double ProcessCpuSeconds();

// Creates a new directory /tmp/<prefix>-XXXXXX and returns its path.
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

// The value of a "Key:   123 kB" line of /proc/<pid>/<file> ("status", "smaps_rollup"), or -1 if absent.
long ProcKib(pid_t pid, absl::string_view file, absl::string_view key);

void WriteFile(const std::string& path, const std::string& text);

// Runs `command` with /bin/sh and returns its stdout without trailing white space.
std::string RunCommand(const std::string& command);

}  // namespace schedsvc::bench

#endif  // SCHEDSVC_BENCH_BENCH_SUPPORT_H_
