#include "integration_tests/deploy_runtime_packages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace schedsvc::deploy_testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kDockerfile[] = R"(# comment
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y build-essential libfoo-dev
FROM debian:bookworm AS runtime
# the runtime line
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends libfoo1 \
      libbar2 tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /usr/local/bin
)";

TEST(StagePackagesTest, ReadsTheNamedStageAcrossContinuationLines) {
  auto packages = StagePackages(kDockerfile, "runtime");
  ASSERT_TRUE(packages.ok()) << packages.status();
  EXPECT_THAT(*packages, ElementsAre("libfoo1", "libbar2", "tzdata"));
  auto build = StagePackages(kDockerfile, "build");
  ASSERT_TRUE(build.ok()) << build.status();
  EXPECT_THAT(*build, ElementsAre("build-essential", "libfoo-dev"));
}

TEST(StagePackagesTest, MissingStageOrInstallIsAnError) {
  EXPECT_EQ(StagePackages(kDockerfile, "other").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StagePackages("FROM x AS runtime\nRUN true\n", "runtime").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ParseLddTest, ResolvedPathsAndMissingLibraries) {
  LddLibraries libs = ParseLdd(
      "\tlinux-vdso.so.1 (0x00007ffd)\n"
      "\tlibgrpc++.so.1.51 => /lib/x86_64-linux-gnu/libgrpc++.so.1.51 (0x00007f)\n"
      "\tlibmissing.so.3 => not found\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n");
  EXPECT_THAT(libs.paths, ElementsAre("/lib/x86_64-linux-gnu/libgrpc++.so.1.51",
                                      "/lib64/ld-linux-x86-64.so.2"));
  EXPECT_THAT(libs.not_found, ElementsAre("libmissing.so.3"));
  EXPECT_THAT(ParseLdd("\tstatically linked\n").paths, IsEmpty());
}

TEST(PackageFromDpkgSearchTest, StripsArchitectureAndIgnoresDiversions) {
  EXPECT_EQ(PackageFromDpkgSearch("libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6\n"), "libc6");
  EXPECT_EQ(PackageFromDpkgSearch("diversion by x from: /a\nzlib1g:amd64: /lib/libz.so.1\n"), "zlib1g");
  EXPECT_EQ(PackageFromDpkgSearch("dpkg-query: no path found matching pattern /x\n"), "");
}

TEST(ParseDependsFieldTest, FirstAlternativeWithoutQualifiers) {
  EXPECT_THAT(ParseDependsField("libc6 (>= 2.34), libgcc-s1 | libgcc1, python3:any, debconf (>= 0.5) | "
                                "debconf-2.0"),
              ElementsAre("libc6", "libgcc-s1", "python3", "debconf"));
  EXPECT_THAT(ParseDependsField(""), IsEmpty());
}

TEST(DependencyClosureTest, FollowsDependenciesTransitivelyAndTerminatesOnCycles) {
  std::map<std::string, std::vector<std::string>> graph = {
      {"a", {"b", "c"}}, {"b", {"d"}}, {"c", {"a"}}, {"d", {}}, {"x", {"y"}}};
  auto depends_of = [&](const std::string& p) {
    auto it = graph.find(p);
    return it == graph.end() ? std::vector<std::string>{} : it->second;
  };
  EXPECT_THAT(DependencyClosure({"a"}, depends_of), UnorderedElementsAre("a", "b", "c", "d"));
}

TEST(UnneededPackagesTest, ReportsListedPackagesNothingLoadsInListedOrder) {
  const std::vector<std::string> listed = {"libfoo1", "libunused-pull1", "tzdata", "libbar2", "libunused2"};
  EXPECT_THAT(UnneededPackages(listed, {"libbar2", "libfoo1", "libc6"}, {"tzdata"}),
              ElementsAre("libunused-pull1", "libunused2"));
  EXPECT_THAT(UnneededPackages(listed, {"libfoo1", "libbar2", "libunused-pull1", "libunused2"}, {"tzdata"}),
              IsEmpty());
}

}  // namespace
}  // namespace schedsvc::deploy_testing
