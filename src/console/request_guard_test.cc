#include "src/console/request_guard.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::console {
namespace {

constexpr int kPort = 8089;

TEST(RequestGuardTest, LoopbackNamesWithTheConsolesPortAreTheConsole) {
  EXPECT_TRUE(IsConsoleAuthority("127.0.0.1:8089", kPort));
  EXPECT_TRUE(IsConsoleAuthority("localhost:8089", kPort));
  EXPECT_TRUE(IsConsoleAuthority("[::1]:8089", kPort));
  EXPECT_FALSE(IsConsoleAuthority("127.0.0.1:8090", kPort));
  EXPECT_FALSE(IsConsoleAuthority("127.0.0.1", kPort));
  EXPECT_FALSE(IsConsoleAuthority("evil.example:8089", kPort)) << "DNS rebinding";
  EXPECT_FALSE(IsConsoleAuthority("", kPort));
}

TEST(RequestGuardTest, AForeignHostIsRefusedForEveryMethod) {
  for (const char* method : {"GET", "POST"}) {
    const absl::Status s = CheckConsoleRequest(method, "rebound.example:8089", "", kPort);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << method;
  }
}

TEST(RequestGuardTest, ChangesFromAnotherOriginAreRefusedReadsAndScriptsPass) {
  EXPECT_TRUE(CheckConsoleRequest("POST", "127.0.0.1:8089", "http://127.0.0.1:8089", kPort).ok());
  EXPECT_TRUE(CheckConsoleRequest("DELETE", "localhost:8089", "http://localhost:8089", kPort).ok());
  EXPECT_TRUE(CheckConsoleRequest("POST", "127.0.0.1:8089", "", kPort).ok()) << "curl sends no Origin";
  EXPECT_TRUE(CheckConsoleRequest("GET", "127.0.0.1:8089", "https://elsewhere.example", kPort).ok());
  for (const char* origin : {"https://elsewhere.example", "http://127.0.0.1:9999", "null", "https://127.0.0.1:8089"}) {
    EXPECT_EQ(CheckConsoleRequest("POST", "127.0.0.1:8089", origin, kPort).code(),
              absl::StatusCode::kPermissionDenied)
        << origin;
  }
}

}  // namespace
}  // namespace schedsvc::console
