#include "integration_tests/deploy_runtime_packages.h"

#include <deque>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace schedsvc::deploy_testing {
namespace {

// Dockerfile instructions with continuation lines joined and comments dropped.
std::vector<std::string> Instructions(absl::string_view dockerfile) {
  std::vector<std::string> out;
  std::string current;
  for (absl::string_view line : absl::StrSplit(dockerfile, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const bool continued = absl::ConsumeSuffix(&trimmed, "\\");
    absl::StrAppend(&current, current.empty() ? "" : " ", trimmed);
    if (!continued) {
      out.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> StagePackages(absl::string_view dockerfile,
                                                       absl::string_view stage) {
  bool in_stage = false;
  bool stage_seen = false;
  for (const std::string& instruction : Instructions(dockerfile)) {
    std::vector<std::string> words = absl::StrSplit(instruction, ' ', absl::SkipEmpty());
    if (words.empty()) continue;
    if (absl::AsciiStrToUpper(words[0]) == "FROM") {
      in_stage = words.size() >= 4 && absl::AsciiStrToUpper(words[words.size() - 2]) == "AS" &&
                 words.back() == stage;
      stage_seen = stage_seen || in_stage;
      continue;
    }
    if (!in_stage || absl::AsciiStrToUpper(words[0]) != "RUN") continue;
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] != "apt-get" || words[i + 1] != "install") continue;
      std::vector<std::string> packages;
      for (std::size_t j = i + 2; j < words.size(); ++j) {
        const std::string& w = words[j];
        if (w == "&&" || w == ";" || w == "||" || w == "|") break;
        if (absl::StartsWith(w, "-")) continue;
        packages.push_back(w);
      }
      return packages;
    }
  }
  if (!stage_seen) return absl::NotFoundError(absl::StrCat("Dockerfile has no stage '", stage, "'"));
  return absl::NotFoundError(absl::StrCat("stage '", stage, "' runs no apt-get install"));
}

LddLibraries ParseLdd(absl::string_view output) {
  LddLibraries libs;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "linux-vdso") || absl::StartsWith(line, "linux-gate")) {
      continue;
    }
    std::string name;
    absl::string_view target = line;
    if (auto arrow = line.find(" => "); arrow != absl::string_view::npos) {
      name = std::string(line.substr(0, arrow));
      target = line.substr(arrow + 4);
    }
    target = absl::StripAsciiWhitespace(target);
    if (absl::StartsWith(target, "not found")) {
      libs.not_found.push_back(name);
      continue;
    }
    if (!absl::StartsWith(target, "/")) continue;  // "statically linked" and the like
    libs.paths.emplace_back(target.substr(0, target.find(' ')));
  }
  return libs;
}

std::string PackageFromDpkgSearch(absl::string_view output) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "diversion ")) continue;
    auto sep = line.find(": /");
    if (sep == absl::string_view::npos) continue;
    absl::string_view package = line.substr(0, sep);
    package = package.substr(0, package.find(','));  // several owners: the first
    package = package.substr(0, package.find(':'));  // drop ":amd64"
    return std::string(absl::StripAsciiWhitespace(package));
  }
  return "";
}

std::vector<std::string> ParseDependsField(absl::string_view field) {
  std::vector<std::string> out;
  for (absl::string_view group : absl::StrSplit(field, ',')) {
    absl::string_view first = group.substr(0, group.find('|'));
    first = absl::StripAsciiWhitespace(first.substr(0, first.find('(')));
    first = first.substr(0, first.find(':'));
    first = absl::StripAsciiWhitespace(first);
    if (!first.empty()) out.emplace_back(first);
  }
  return out;
}

std::set<std::string> DependencyClosure(
    const std::vector<std::string>& roots,
    const std::function<std::vector<std::string>(const std::string&)>& depends_of) {
  std::set<std::string> seen;
  std::deque<std::string> queue(roots.begin(), roots.end());
  while (!queue.empty()) {
    std::string package = std::move(queue.front());
    queue.pop_front();
    if (!seen.insert(package).second) continue;
    for (std::string& dep : depends_of(package)) {
      if (seen.count(dep) == 0) queue.push_back(std::move(dep));
    }
  }
  return seen;
}

std::vector<std::string> UnneededPackages(const std::vector<std::string>& listed,
                                          const std::set<std::string>& loaded,
                                          const std::set<std::string>& data_packages) {
  std::vector<std::string> out;
  for (const std::string& package : listed) {
    if (loaded.count(package) == 0 && data_packages.count(package) == 0) out.push_back(package);
  }
  return out;
}

}  // namespace schedsvc::deploy_testing
