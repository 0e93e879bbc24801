#include "integration_tests/deploy_command.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace schedsvc::deploy_testing {

std::string ShellQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

CommandResult RunCommand(const std::string& command, const std::map<std::string, std::string>& env) {
  std::string full;
  for (const auto& [key, value] : env) full += "export " + key + "=" + ShellQuote(value) + "; ";
  full += "( " + command + " ) </dev/null 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "cannot run: " + command;
    return result;
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace schedsvc::deploy_testing
