// What the runtime image installs versus what the binaries load: the package list of a Dockerfile
// stage's `apt-get install`, `ldd` output, `dpkg -S` output and Debian dependency fields, the set of
// packages an install pulls in, and the listed packages nothing loads. Used by
// deploy_runtime_libs_test.cc. Pure functions; thread-safe.
#ifndef SCHEDSVC_INTEGRATION_TESTS_DEPLOY_RUNTIME_PACKAGES_H_
#define SCHEDSVC_INTEGRATION_TESTS_DEPLOY_RUNTIME_PACKAGES_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::deploy_testing {

// The packages named by the `apt-get install` in stage `stage` (`FROM ... AS stage`) of `dockerfile`,
// options dropped. Line continuations are joined. kNotFound if the stage or its apt-get install is
// missing.
absl::StatusOr<std::vector<std::string>> StagePackages(absl::string_view dockerfile,
                                                       absl::string_view stage);

// `ldd` output: the resolved paths of the libraries (the vDSO excluded) and the names ldd could not find.
struct LddLibraries {
  std::vector<std::string> paths;
  std::vector<std::string> not_found;
};
LddLibraries ParseLdd(absl::string_view output);

// The package owning the path in `dpkg -S` output ("libc6:amd64: /lib/.../libc.so.6"); "" if none.
std::string PackageFromDpkgSearch(absl::string_view output);

// The packages a Depends/Pre-Depends field requires: for each alternative group its first alternative
// (what apt installs when nothing else satisfies it), without version or architecture qualifiers.
std::vector<std::string> ParseDependsField(absl::string_view field);

// `roots` and everything they depend on, transitively, as told by `depends_of`.
std::set<std::string> DependencyClosure(
    const std::vector<std::string>& roots,
    const std::function<std::vector<std::string>(const std::string&)>& depends_of);

// The packages of `listed` that are neither in `loaded` (owners of the libraries the binaries load) nor in
// `data_packages` (installed for their files, e.g. tzdata), in listed order: what an image installs for
// nothing.
std::vector<std::string> UnneededPackages(const std::vector<std::string>& listed,
                                          const std::set<std::string>& loaded,
                                          const std::set<std::string>& data_packages);

}  // namespace schedsvc::deploy_testing

#endif  // SCHEDSVC_INTEGRATION_TESTS_DEPLOY_RUNTIME_PACKAGES_H_
