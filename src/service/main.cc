// schedule-service: subscribes to a Pub/Sub subscription and calls a backend HTTP API for each message.
//   schedule-service --config FILE [--check-config]
// Exit codes: 0 after a clean shutdown, 2 for a bad config or usage, 1 for any other start-up failure.
#include <signal.h>
#include <unistd.h>

#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/common/mutex_mode.h"
#include "src/config/config_loader.h"
#include "src/pubsub/grpc_log_route.h"
#include "src/service/schedule_service.h"

namespace {

// Longest the process waits at exit for its last log lines to reach stdout; a reader that stopped
// reading costs those lines, never the exit.
constexpr absl::Duration kLogFlushTimeout = absl::Seconds(2);

schedsvc::Severity ParseSeverity(const std::string& level) {
  if (level == "debug") return schedsvc::Severity::kDebug;
  if (level == "warning") return schedsvc::Severity::kWarning;
  if (level == "error") return schedsvc::Severity::kError;
  return schedsvc::Severity::kInfo;
}

int Run(int argc, char** argv) {
  CLI::App app{"schedule-service: Pub/Sub -> HTTP dispatcher"};
  std::string config_path;
  bool check_only = false;
  app.add_option("--config", config_path, "service config (YAML)")->required();
  app.add_flag("--check-config", check_only, "validate the config and exit");
  CLI11_PARSE(app, argc, argv);

  schedsvc::SystemClock clock;
  auto config = schedsvc::config::LoadServiceConfig(config_path);
  if (!config.ok()) {
    schedsvc::JsonLogger boot(STDOUT_FILENO, clock);
    boot.Log(schedsvc::Severity::kCritical, "invalid config, refusing to start",
             {{"error", std::string(config.status().message())}});
    boot.Flush(kLogFlushTimeout);
    std::cerr << "schedule-service: " << config.status().message() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << config_path << ": OK\n";
    return 0;
  }

  // Signals are taken synchronously by this thread; every thread created after this (the
  // log writer too) inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Asynchronous: nothing on the delivery path waits for whoever reads stdout (json_log.h).
  schedsvc::JsonLogger log(STDOUT_FILENO, clock, ParseSeverity(config->log_level));
  // gRPC's own lines too: never a synchronous write to stderr from a gRPC thread.
  schedsvc::pubsub::GrpcLogRoute grpc_log_route(log);

  auto service = schedsvc::service::ScheduleService::Create(*std::move(config), log);
  if (!service.ok()) {
    log.Log(schedsvc::Severity::kCritical, "cannot start", {{"error", std::string(service.status().message())}});
    log.Flush(kLogFlushTimeout);
    return 1;
  }
  if (auto s = (*service)->Start(); !s.ok()) {
    log.Log(schedsvc::Severity::kCritical, "cannot start", {{"error", std::string(s.message())}});
    log.Flush(kLogFlushTimeout);
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  log.Info("signal received", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*service)->Shutdown();
  log.Flush(kLogFlushTimeout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "schedule-service: fatal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "schedule-service: fatal: unknown exception\n";
  }
  return 1;
}
