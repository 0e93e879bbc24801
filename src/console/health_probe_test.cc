#include "src/console/health_probe.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::console {
namespace {

constexpr int kOk = 200;
constexpr int kUnavailable = 503;

TEST(HealthProbeTest, ReadinessAndItsReasonFromReadyz) {
  EXPECT_EQ(ReadinessFromReadyz(kOk, "ready\n").ready, true);
  EXPECT_EQ(ReadinessFromReadyz(kOk, "ready\n").detail, "");
  const ComponentHealth not_ready =
      ReadinessFromReadyz(kUnavailable, "not ready: subscription projects/p/subscriptions/s: NOT_FOUND\n");
  EXPECT_EQ(not_ready.ready, false);
  EXPECT_EQ(not_ready.detail, "subscription projects/p/subscriptions/s: NOT_FOUND");
  EXPECT_EQ(ReadinessFromReadyz(kUnavailable, "not ready\n").detail, "HTTP 503");
  EXPECT_EQ(ReadinessFromReadyz(kUnavailable, "").detail, "HTTP 503");
}

TEST(HealthProbeTest, JsonHasReadyOnlyWhereItIsKnown) {
  ComponentHealth backend{"demo-backend", "127.0.0.1:8087", true, std::nullopt, ""};
  ComponentHealth service{"schedule-service", "127.0.0.1:9090", true, false, "starting"};
  const nlohmann::json j = HealthJson({backend, service});
  ASSERT_EQ(j["components"].size(), 2u);
  EXPECT_EQ(j["components"][0].dump(),
            R"({"address":"127.0.0.1:8087","detail":"","name":"demo-backend","up":true})");
  EXPECT_EQ(j["components"][1].dump(),
            R"({"address":"127.0.0.1:9090","detail":"starting","name":"schedule-service","ready":false,"up":true})");
}

TEST(HealthProbeTest, ComponentsWithoutAPortAreLeftOut) {
  HealthProbe probe({{"demo-backend", UpstreamAddress{"127.0.0.1", 0}, ProbeKind::kHttpGet, "/_stats"}},
                    absl::Seconds(1));
  EXPECT_TRUE(probe.Probe().empty());
}

}  // namespace
}  // namespace schedsvc::console
