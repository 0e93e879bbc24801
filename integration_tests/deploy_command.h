// RunCommand: runs a shell command for the deploy/ checks (kubectl kustomize, ldd, dpkg, gcloud, the
// deploy/gcp scripts) and returns its exit code and combined stdout + stderr. Blocking; thread-safe.
#ifndef SCHEDSVC_INTEGRATION_TESTS_DEPLOY_COMMAND_H_
#define SCHEDSVC_INTEGRATION_TESTS_DEPLOY_COMMAND_H_

#include <map>
#include <string>

namespace schedsvc::deploy_testing {

struct CommandResult {
  int exit_code = -1;  // the command's exit status; -1 if it could not run or was killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs `command` with /bin/sh -c, with `env` added to the environment (values are single-quoted, so
// they reach the command verbatim). Stdin is /dev/null.
CommandResult RunCommand(const std::string& command, const std::map<std::string, std::string>& env = {});

// `value` quoted for /bin/sh.
std::string ShellQuote(const std::string& value);

}  // namespace schedsvc::deploy_testing

#endif  // SCHEDSVC_INTEGRATION_TESTS_DEPLOY_COMMAND_H_
