// How schedctl's subcommands plug into main.cc: each command lives in its own file and exposes
//   void Register<Name>Command(CLI::App& app, CommandAction& action);
// which adds its subcommand (flags, help) to `app` and, when that subcommand is parsed, stores the
// function to run in `action`. main() parses, then runs `action` and exits with its result. Exit codes
// are shared by every command.
#ifndef SCHEDSVC_CLI_COMMAND_H_
#define SCHEDSVC_CLI_COMMAND_H_

#include <functional>

namespace schedsvc::cli {

// Exit codes of schedctl.
inline constexpr int kExitOk = 0;
// The command ran and found a problem (a budget violation) or an operation failed.
inline constexpr int kExitFailure = 1;
// Bad usage or a bad config file: nothing was checked or changed.
inline constexpr int kExitUsage = 2;
// An unexpected internal error (main's last-resort catch).
inline constexpr int kExitInternal = 3;

// The selected subcommand's body; returns the process exit code.
using CommandAction = std::function<int()>;

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_COMMAND_H_
