// `schedctl up`: the whole local pipeline in one command — Google's Pub/Sub emulator,
// cloud-scheduler-emulator, demo-backend and schedule-service (a config like config/example.yaml,
// adapted to the ports, written into the work directory; with --ingest push a push endpoint instead of
// StreamingPull) — then the Pub/Sub set-up of `schedctl pubsub apply` (a push subscription to the service
// with --ingest push), a sample job created through the scheduler's REST API (every minute,
// Pub/Sub target) run once at start, and a live status every few seconds until SIGINT/SIGTERM or
// --duration. Stops every child by PID (SIGTERM, wait, SIGKILL). See docs/schedctl.md "## up".
// Not thread-safe (a CLI; one instance per process).
#ifndef SCHEDSVC_CLI_UP_COMMAND_H_
#define SCHEDSVC_CLI_UP_COMMAND_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "src/cli/command.h"

namespace schedsvc::cli {

struct UpOptions {
  int pubsub_port = 8085;
  int scheduler_port = 8086;
  int backend_port = 8087;
  int admin_port = 9090;
  // --ingest: "pull" (default: StreamingPull) or "push" (the emulator pushes to the service's push endpoint
  // on --push-port; push.auth: none, as the emulator signs no token).
  std::string ingest = "pull";
  int push_port = 8088;
  // --console-port: the console on 127.0.0.1 (src/console/console_server.h). Default 8089; 0 = no console.
  int console_port = 8089;
  // --workdir: config, secrets, SQLite db and logs. Default: a new /tmp/schedctl-up-XXXXXX.
  std::string workdir;
  // --duration: seconds to run before stopping by itself, > 0 when given; 0 (not given) = until
  // SIGINT/SIGTERM. Negative: RunUp refuses it (kExitUsage).
  int duration_seconds = 0;
  // --status-interval: seconds between status lines. Default 5.
  int status_interval_seconds = 5;
};

int RunUp(const UpOptions& options, std::ostream& out, std::ostream& err);

void RegisterUpCommand(CLI::App& app, CommandAction& action);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_UP_COMMAND_H_
