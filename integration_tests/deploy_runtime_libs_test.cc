// The runtime image against reality: every shared library `ldd` resolves for the built binaries must
// come (per `dpkg -S`) from a package the Dockerfile's runtime stage installs, either named on its
// apt-get line or pulled in by their Depends/Pre-Depends (read from this machine's dpkg database, the
// same Debian release as the image); and every library package on that line must own a library some
// shipped binary loads (tzdata and CA certificates excepted), so the image carries nothing unused. A
// binary that is not built fails the test: the image needs it. demo-backend is checked when present (it
// is not shipped in the image's COPY).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "integration_tests/deploy_command.h"
#include "integration_tests/deploy_runtime_packages.h"
#include "testing/child_process.h"

namespace schedsvc::deploy_testing {
namespace {

namespace fs = std::filesystem;

const std::string kSourceDir = SCHEDSVC_SOURCE_DIR;

// The binaries the image's COPY ships.
const char* const kShippedBinaries[] = {"schedule-service", "cloud-scheduler-emulator", "schedctl"};

// Runtime packages installed for their files, not for a library ldd reports: time zones for
// absl::LoadTimeZone and the CA roots for TLS.
const std::set<std::string> kDataPackages = {"tzdata", "ca-certificates"};

// The usrmerge twins of `path` (/lib/x <-> /usr/lib/x) and of its resolved path: dpkg records only
// the spelling the package shipped.
std::vector<std::string> PathCandidates(const std::string& path) {
  std::vector<std::string> out;
  auto add_with_twin = [&out](const std::string& p) {
    out.push_back(p);
    out.push_back(absl::StartsWith(p, "/usr/") ? p.substr(4) : "/usr" + p);
  };
  add_with_twin(path);
  std::error_code ec;
  const std::string real = fs::canonical(path, ec).string();
  if (!ec && real != path) add_with_twin(real);
  return out;
}

// path -> owning package for every path dpkg knows, from one `dpkg -S` run.
std::map<std::string, std::string> OwningPackages(const std::vector<std::string>& paths) {
  std::string command = "dpkg -S";
  for (const std::string& p : paths) command += " " + ShellQuote(p);
  CommandResult r = RunCommand(command);  // non-zero when some spelling is unknown: expected
  std::map<std::string, std::string> owners;
  for (absl::string_view line : absl::StrSplit(r.output, '\n')) {
    auto sep = line.find(": /");
    if (sep == absl::string_view::npos) continue;
    const std::string package = PackageFromDpkgSearch(line);
    if (!package.empty()) owners[std::string(line.substr(sep + 2))] = package;
  }
  return owners;
}

// Depends + Pre-Depends of every installed package, from one dpkg-query run.
std::map<std::string, std::vector<std::string>> InstalledDependsTable() {
  CommandResult r = RunCommand("dpkg-query -W -f='${Package}\\t${Depends}, ${Pre-Depends}\\n'");
  std::map<std::string, std::vector<std::string>> table;
  for (absl::string_view line : absl::StrSplit(r.output, '\n')) {
    auto tab = line.find('\t');
    if (tab == absl::string_view::npos) continue;
    table[std::string(line.substr(0, tab))] = ParseDependsField(line.substr(tab + 1));
  }
  return table;
}

class RuntimeImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto packages = StagePackages(testing::ReadFileOrEmpty(kSourceDir + "/deploy/Dockerfile"), "runtime");
    ASSERT_TRUE(packages.ok()) << packages.status();
    listed_ = *packages;
    const auto table = InstalledDependsTable();
    ASSERT_FALSE(table.empty()) << "dpkg-query listed no packages";
    installed_ = DependencyClosure(listed_, [&table](const std::string& package) {
      auto it = table.find(package);
      return it == table.end() ? std::vector<std::string>{} : it->second;
    });
  }

  // Checks one binary; returns the problems found. Adds the packages owning its libraries to `loaded`
  // when not null.
  std::vector<std::string> Problems(const std::string& binary, std::set<std::string>* loaded = nullptr) {
    std::vector<std::string> problems;
    CommandResult ldd = RunCommand("ldd " + ShellQuote(binary));
    if (ldd.exit_code != 0) return {absl::StrCat("ldd failed: ", ldd.output)};
    LddLibraries libs = ParseLdd(ldd.output);
    for (const std::string& missing : libs.not_found) problems.push_back(missing + " not found by ldd");
    if (libs.paths.empty()) problems.push_back("ldd listed no libraries");
    std::vector<std::string> all_candidates;
    for (const std::string& path : libs.paths) {
      for (std::string& c : PathCandidates(path)) all_candidates.push_back(std::move(c));
    }
    const auto owners = OwningPackages(all_candidates);
    for (const std::string& path : libs.paths) {
      std::string package;
      for (const std::string& candidate : PathCandidates(path)) {
        if (auto it = owners.find(candidate); it != owners.end()) {
          package = it->second;
          break;
        }
      }
      if (loaded != nullptr && !package.empty()) loaded->insert(package);
      if (package.empty()) {
        problems.push_back(absl::StrCat(path, " belongs to no Debian package"));
      } else if (installed_.count(package) == 0) {
        problems.push_back(absl::StrCat(path, " is in package ", package,
                                        ", which the runtime stage does not install"));
      }
    }
    return problems;
  }

  std::vector<std::string> listed_;
  std::set<std::string> installed_;
};

TEST_F(RuntimeImageTest, ApparentlyInstalledPackagesIncludeTheBasics) {
  // The closure must have followed dependencies, or every check below would be too strict to mean much.
  EXPECT_TRUE(installed_.count("libc6")) << absl::StrJoin(listed_, " ");
  EXPECT_TRUE(installed_.count("tzdata"));
  EXPECT_TRUE(installed_.count("ca-certificates"));
  EXPECT_GT(installed_.size(), listed_.size());
}

TEST_F(RuntimeImageTest, ShippedBinariesLoadOnlyLibrariesTheImageInstalls) {
  for (const std::string name : kShippedBinaries) {
    SCOPED_TRACE(name);
    const std::string binary = testing::FindBuiltBinary(name);
    if (binary.empty()) {
      ADD_FAILURE() << name << " is not built under " << testing::BuildDir()
                    << ": the image ships it, so its libraries cannot be checked";
      continue;
    }
    for (const std::string& problem : Problems(binary)) ADD_FAILURE() << binary << ": " << problem;
  }
}

TEST_F(RuntimeImageTest, EveryListedLibraryPackageIsLoadedByAShippedBinary) {
  std::set<std::string> loaded;
  for (const std::string name : kShippedBinaries) {
    const std::string binary = testing::FindBuiltBinary(name);
    ASSERT_FALSE(binary.empty()) << name << " is not built under " << testing::BuildDir()
                                 << ": without it, what the image needs is unknown";
    Problems(binary, &loaded);
  }
  EXPECT_THAT(UnneededPackages(listed_, loaded, kDataPackages), ::testing::IsEmpty())
      << "deploy/Dockerfile's runtime stage installs packages no shipped binary loads";
}

TEST_F(RuntimeImageTest, DemoBackendLoadsOnlyLibrariesTheImageInstallsWhenBuilt) {
  const std::string binary = testing::FindBuiltBinary("demo-backend");
  if (binary.empty()) GTEST_SKIP() << "demo-backend not built (optional, not in the image)";
  for (const std::string& problem : Problems(binary)) ADD_FAILURE() << binary << ": " << problem;
}

TEST_F(RuntimeImageTest, CheckerRejectsALibraryFromAMissingPackage) {
  // This test binary loads abseil's shared libraries: take their package out of what the image
  // installs and the checker must report it.
  const std::string self = fs::canonical("/proc/self/exe").string();
  EXPECT_THAT(Problems(self), ::testing::IsEmpty());
  installed_.erase("libabsl20220623");
  EXPECT_THAT(Problems(self), ::testing::Contains(::testing::HasSubstr("libabsl20220623")));
}

}  // namespace
}  // namespace schedsvc::deploy_testing
