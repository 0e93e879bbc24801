#include "src/console/upstream_path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::console {
namespace {

using ::testing::HasSubstr;

TEST(UpstreamPathTest, ForwardsTheAllowedPrefixesWithTheirQuery) {
  auto jobs = UpstreamTarget("v1/projects/p/locations/l/jobs", "pageSize=10&pageToken=a%3Db",
                             SchedulerPathPrefixes());
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_EQ(*jobs, "/v1/projects/p/locations/l/jobs?pageSize=10&pageToken=a%3Db");
  auto run = UpstreamTarget("v1/projects/p/locations/l/jobs/j:run", "", SchedulerPathPrefixes());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(*run, "/v1/projects/p/locations/l/jobs/j:run");
  auto runs = UpstreamTarget("emulator/v1/projects/p/locations/l/jobs/j/runs", "pageSize=5", SchedulerPathPrefixes());
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(*runs, "/emulator/v1/projects/p/locations/l/jobs/j/runs?pageSize=5");
}

TEST(UpstreamPathTest, OtherPathsAreNotFound) {
  for (const char* rest : {"", "v1", "v2/projects", "emulator/v2/x", "metrics", "V1/projects", "/v1/projects",
                           "xv1/projects"}) {
    auto target = UpstreamTarget(rest, "", SchedulerPathPrefixes());
    ASSERT_FALSE(target.ok()) << rest;
    EXPECT_EQ(target.status().code(), absl::StatusCode::kNotFound) << rest;
    EXPECT_THAT(target.status().message(), HasSubstr("v1/, emulator/v1/")) << rest;
  }
}

TEST(UpstreamPathTest, TraversalIsRefusedRawOrEncoded) {
  for (const char* rest : {"v1/../metrics", "v1/projects/..", "v1/./x", "v1/%2e%2e/metrics", "v1/%2E%2E/metrics",
                           "v1/.%2e/metrics", "v1/%2e./metrics", "v1/..%2fmetrics", "v1/x%2F..%2Fy",
                           "v1/..\\metrics", "v1/%5c..", "v1/%252e%252e/metrics", "v1/x%2", "v1/x%zz",
                           "emulator/v1/../../v1"}) {
    auto target = UpstreamTarget(rest, "", SchedulerPathPrefixes());
    ASSERT_FALSE(target.ok()) << rest;
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument) << rest;
  }
}

TEST(UpstreamPathTest, DotsInsideANameAndOtherEscapesAreFine) {
  EXPECT_FALSE(HasPathTraversal("v1/projects/my.project/jobs/a..b"));
  EXPECT_FALSE(HasPathTraversal("v1/projects/p/jobs/j%3Arun"));
  EXPECT_FALSE(HasPathTraversal("v1/projects/p/jobs/.hidden"));
}

}  // namespace
}  // namespace schedsvc::console
