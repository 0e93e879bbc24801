#include "src/scheduler/listen_address.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

// A resolver with a fixed table, so names resolve the same offline and online.
HostResolver TableResolver(std::map<std::string, std::vector<std::string>> table) {
  return [table = std::move(table)](const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    auto it = table.find(host);
    if (it == table.end()) return absl::InvalidArgumentError("no such host");
    return it->second;
  };
}

TEST(ListenAddressTest, NamesAreJudgedByEveryAddressTheyResolveTo) {
  const HostResolver resolve = TableResolver({
      {"127.attacker.example", {"203.0.113.7"}},
      {"half.example", {"127.0.0.1", "192.0.2.1"}},
      {"dual-loopback.example", {"127.0.0.1", "::1"}},
  });
  EXPECT_FALSE(IsLoopbackHost("127.attacker.example", resolve));
  EXPECT_FALSE(IsLoopbackHost("half.example", resolve));
  EXPECT_TRUE(IsLoopbackHost("dual-loopback.example", resolve));
  EXPECT_FALSE(IsLoopbackHost("unknown.example", resolve));
}

// A name resolving to both loopbacks binds 127.0.0.1, whichever order the resolver gives them in.
TEST(ListenAddressTest, BindAddressPrefersIpv4) {
  const HostResolver resolve = TableResolver({
      {"v6-first", {"::1", "127.0.0.1"}},
      {"v4-first", {"127.0.0.1", "::1"}},
      {"v6-only", {"::1"}},
      {"wildcard", {"::", "0.0.0.0"}},
  });
  EXPECT_EQ(BindAddress(*resolve("v6-first")), "127.0.0.1");
  EXPECT_EQ(BindAddress(*resolve("v4-first")), "127.0.0.1");
  EXPECT_EQ(BindAddress(*resolve("v6-only")), "::1");
  EXPECT_EQ(BindAddress(*resolve("wildcard")), "0.0.0.0");
}

// With the system resolver: numeric hosts and "localhost" (from /etc/hosts) need no network.
TEST(ListenAddressTest, SystemResolverOnNumericHostsAndLocalhost) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.2"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost(""));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.5"));
  // Reserved for documentation (RFC 6761 .example), so it never resolves to loopback: with no network it
  // does not resolve at all, which is not loopback either.
  EXPECT_FALSE(IsLoopbackHost("127.attacker.example"));
}

}  // namespace
}  // namespace schedsvc::scheduler
