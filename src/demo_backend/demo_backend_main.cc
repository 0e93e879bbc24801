// demo-backend: a loopback HTTP backend for the local pipeline and the integration tests (see
// demo_backend.h for the endpoints). Prints "demo-backend listening on HOST:PORT" once it accepts
// connections; stops on SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/duration.h"
#include "src/common/mutex_mode.h"
#include "src/demo_backend/demo_backend.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"demo-backend: Basic-auth HTTP backend that records calls and injects failures"};
  std::string listen = "127.0.0.1:8087";
  std::string latency_text = "0s";
  std::vector<std::string> status_for_path;
  schedsvc::demo_backend::DemoBackendOptions options;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)");
  app.add_option("--username-file", options.username_file, "file holding the expected user name");
  app.add_option("--password-file", options.password_file, "file holding the expected password");
  app.add_option("--fail-rate", options.behavior.fail_rate, "fraction of calls that fail, 0-1");
  app.add_option("--fail-status", options.behavior.fail_status, "status of failing calls");
  app.add_option("--latency", latency_text, "delay before every answer, e.g. 2s or 250ms");
  app.add_option("--status-for-path", status_for_path, "PATH=STATUS, e.g. /bad=400 (repeatable)");
  app.add_option("--threads", options.threads, "connections served at once (a thread each)");
  app.add_option("--max-request-bytes", options.max_request_bytes,
                 "largest request body; larger ones get 413 (default 10 MiB)");
  CLI11_PARSE(app, argc, argv);

  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &options.port)) {
    std::fprintf(stderr, "demo-backend: --listen wants HOST:PORT, got '%s'\n", listen.c_str());
    return 2;
  }
  options.host = listen.substr(0, colon);
  absl::StatusOr<absl::Duration> latency = schedsvc::ParseDurationText(latency_text);
  if (!latency.ok()) {
    std::fprintf(stderr, "demo-backend: --latency: %s\n", latency.status().ToString().c_str());
    return 2;
  }
  options.behavior.latency = *latency;
  for (const std::string& entry : status_for_path) {
    auto parsed = schedsvc::demo_backend::ParseStatusForPath(entry);
    if (!parsed.ok()) {
      std::fprintf(stderr, "demo-backend: %s\n", parsed.status().ToString().c_str());
      return 2;
    }
    options.behavior.status_for_path[parsed->first] = parsed->second;
  }

  // Block the stop signals before any thread starts, so only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto backend = schedsvc::demo_backend::DemoBackend::Start(options);
  if (!backend.ok()) {
    std::fprintf(stderr, "demo-backend: %s\n", backend.status().ToString().c_str());
    return 1;
  }
  std::printf("demo-backend listening on %s:%d\n", options.host.c_str(), (*backend)->port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("demo-backend stopping on signal %d\n", signal);
  (*backend)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "demo-backend: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "demo-backend: fatal: unknown exception\n");
  }
  return 1;
}
