// schedctl: the operator's CLI (docs/schedctl.md). Each subcommand lives in its own file and registers
// itself here with one line (see command.h); main() parses, runs the selected command and maps errors
// to exit codes. The last-resort catch turns anything unexpected into kExitInternal.
#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "src/cli/check_command.h"
#include "src/cli/command.h"
#include "src/cli/dlq_command.h"
#include "src/cli/pubsub_apply_command.h"
#include "src/cli/up_command.h"
#include "src/common/mutex_mode.h"

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  using schedsvc::cli::kExitInternal;
  using schedsvc::cli::kExitUsage;
  try {
    CLI::App app{"schedctl: operate schedule-service (budget check, Pub/Sub setup, dead letters, local stack)",
                 "schedctl"};
    app.require_subcommand(1);
    schedsvc::cli::CommandAction action;

    // Subcommands: one line each.
    schedsvc::cli::RegisterCheckCommand(app, action);
    schedsvc::cli::RegisterPubsubApplyCommand(app, action);
    schedsvc::cli::RegisterDlqCommand(app, action);
    schedsvc::cli::RegisterUpCommand(app, action);

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int code = app.exit(e);  // prints help, or the error and a usage hint
      return code == 0 ? 0 : kExitUsage;
    }
    if (!action) return kExitUsage;
    return action();
  } catch (const std::exception& e) {
    std::cerr << "schedctl: internal error: " << e.what() << "\n";
    return kExitInternal;
  } catch (...) {
    std::cerr << "schedctl: internal error\n";
    return kExitInternal;
  }
}
