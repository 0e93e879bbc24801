#include "src/service/deliveries_endpoint.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"

namespace schedsvc::service {
namespace {

using ::testing::HasSubstr;

using Params = std::multimap<std::string, std::string>;

constexpr std::size_t kCapacity = 8;
constexpr std::size_t kLargeCapacity = 10000;
constexpr absl::Duration kLatency = absl::Microseconds(12500);
constexpr int kStatusOk = 200;

std::string ErrorOf(const Params& params) {
  auto parsed = ParseDeliveriesQuery(params, kLargeCapacity);
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(DeliveriesQueryTest, EmptyQueryListsTheDefaultNumberOfAnyBackendAndOutcome) {
  auto filter = ParseDeliveriesQuery({}, kLargeCapacity);
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->limit, kDefaultDeliveriesLimit);
  EXPECT_FALSE(filter->backend.has_value());
  EXPECT_FALSE(filter->outcome.has_value());
  // A ring smaller than the default lists all it has.
  filter = ParseDeliveriesQuery({}, kCapacity);
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->limit, kCapacity);
}

TEST(DeliveriesQueryTest, CapsTheLimitAtTheRingsCapacity) {
  constexpr std::size_t kRing = 256;
  auto filter = ParseDeliveriesQuery({{"limit", "500"}}, kRing);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->limit, kRing);
  filter = ParseDeliveriesQuery({{"limit", "500"}}, kLargeCapacity);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->limit, 500u);
}

TEST(DeliveriesQueryTest, ParsesLimitBackendAndOutcome) {
  auto filter =
      ParseDeliveriesQuery({{"limit", "5"}, {"backend", "demo"}, {"outcome", "dead_lettered"}}, kLargeCapacity);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->limit, 5u);
  EXPECT_EQ(filter->backend, "demo");
  EXPECT_EQ(filter->outcome, dispatch::FinalOutcome::kDeadLettered);
  // Empty values (an unset select in a form) filter nothing.
  auto empty = ParseDeliveriesQuery({{"backend", ""}, {"outcome", ""}}, kLargeCapacity);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_FALSE(empty->backend.has_value());
  EXPECT_FALSE(empty->outcome.has_value());
}

TEST(DeliveriesQueryTest, RefusesBadValuesWithAClearMessage) {
  EXPECT_EQ(ErrorOf({{"limit", "0"}}), "limit must be a whole number from 1 to 10000, got '0'");
  EXPECT_EQ(ErrorOf({{"limit", "10001"}}), "limit must be a whole number from 1 to 10000, got '10001'");
  EXPECT_EQ(ErrorOf({{"limit", "ten"}}), "limit must be a whole number from 1 to 10000, got 'ten'");
  EXPECT_EQ(ErrorOf({{"limit", ""}}), "limit must be a whole number from 1 to 10000, got ''");
  EXPECT_EQ(ErrorOf({{"outcome", "retried"}}),
            "outcome must be one of delivered, handed_back, dead_lettered, lost, got 'retried'");
  EXPECT_EQ(ErrorOf({{"limt", "5"}}), "unknown parameter 'limt' (known: limit, backend, outcome)");
  EXPECT_EQ(ErrorOf({{"limit", "1"}, {"limit", "2"}}), "limit is given more than once");
  // A long value is quoted back cut.
  EXPECT_THAT(ErrorOf({{"outcome", std::string(1000, 'x')}}), ::testing::SizeIs(::testing::Lt(200u)));
}

TEST(DeliveriesJsonTest, Rfc3339InUtc) {
  EXPECT_EQ(Rfc3339Utc(absl::FromUnixSeconds(1774746000)), "2026-03-29T01:00:00Z");
  EXPECT_EQ(Rfc3339Utc(absl::FromUnixMillis(1774746000500)), "2026-03-29T01:00:00.5Z");
  EXPECT_EQ(Rfc3339Utc(absl::InfinitePast()), "");
}

TEST(DeliveriesJsonTest, RendersTheContractShapeNewestFirst) {
  testing::FakeClock clock;
  dispatch::RecentDeliveries ring(kCapacity);
  const absl::Time first = clock.Now();
  ring.Add(dispatch::MakeDeliveryRecord(first, "11", first - absl::Seconds(1), 1, {{"path", "/jobs/x"}}, "demo", 1,
                                        kStatusOk, kLatency, dispatch::FinalOutcome::kDelivered, "", ""));
  clock.AdvanceTime(absl::Seconds(1));
  ring.Add(dispatch::MakeDeliveryRecord(clock.Now(), "12", clock.Now(), 0, {{"path", "a/b"}}, "demo", 0, 0,
                                        kLatency, dispatch::FinalOutcome::kDeadLettered, "invalid_path",
                                        "path must start with '/'"));
  const nlohmann::json j = DeliveriesJson(ring, {});
  EXPECT_EQ(j["capacity"], kCapacity);
  ASSERT_EQ(j["deliveries"].size(), 2u);
  const nlohmann::json& dead = j["deliveries"][0];
  EXPECT_EQ(dead["messageId"], "12");
  EXPECT_EQ(dead["outcome"], "dead_lettered");
  EXPECT_EQ(dead["reason"], "path must start with '/'");
  EXPECT_EQ(dead["reasonCode"], "invalid_path");
  EXPECT_EQ(dead["httpStatus"], 0);
  const nlohmann::json& ok = j["deliveries"][1];
  EXPECT_EQ(ok, nlohmann::json::parse(R"({"time":"2023-11-14T22:13:20Z","messageId":"11",
      "publishTime":"2023-11-14T22:13:19Z","deliveryAttempt":1,"attributes":{"path":"/jobs/x"},"backend":"demo",
      "attempts":1,"httpStatus":200,"latencyMs":12.5,"outcome":"delivered","reason":"","reasonCode":"",
      "truncated":false})"));
}

TEST(DeliveriesJsonTest, EmptyRingHasAnEmptyList) {
  dispatch::RecentDeliveries ring(kCapacity);
  EXPECT_EQ(DeliveriesJson(ring, {}).dump(), R"({"capacity":8,"deliveries":[]})");
}

}  // namespace
}  // namespace schedsvc::service
