#include "src/service/loopback_host.h"

#include "gtest/gtest.h"

namespace schedsvc::service {
namespace {

TEST(LoopbackHostTest, LoopbackListenHosts) {
  for (const char* host : {"127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "localhost", "LocalHost"}) {
    EXPECT_TRUE(IsLoopbackListenHost(host)) << host;
  }
  // 0.0.0.0 is every interface (GKE's admin.listen): pod IPs reach it, the guard stays off.
  for (const char* host : {"0.0.0.0", "::", "10.1.2.3", "::ffff:10.0.0.1", "", "127.attacker.example",
                           "localhost.attacker.example"}) {
    EXPECT_FALSE(IsLoopbackListenHost(host)) << host;
  }
}

TEST(LoopbackHostTest, LoopbackHostHeaders) {
  for (const char* host : {"127.0.0.1", "127.0.0.1:9090", "localhost", "localhost:9090", "LOCALHOST:1", "[::1]",
                           "[::1]:9090"}) {
    EXPECT_TRUE(IsLoopbackHostHeader(host)) << host;
  }
  for (const char* host : {"", "attacker.example", "attacker.example:9090", "127.0.0.1.attacker.example",
                           "localhost.attacker.example:9090", "127.0.0.1:", "127.0.0.1:90x", "localhost:9090@x",
                           "::1", "10.1.2.3:9090", "127.0.0.2:9090"}) {
    EXPECT_FALSE(IsLoopbackHostHeader(host)) << host;
  }
}

}  // namespace
}  // namespace schedsvc::service
