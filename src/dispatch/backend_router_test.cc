#include "src/dispatch/backend_router.h"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/dispatch/permanent_reason.h"
#include "testing/fake_clock.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRoutingAttribute[] = "target";
constexpr char kOrders[] = "orders";
constexpr char kReports[] = "reports";

config::ServiceConfig TwoBackends() {
  config::ServiceConfig c;
  c.routing_attribute = kRoutingAttribute;
  for (const char* name : {kOrders, kReports}) {
    config::BackendConfig b;
    b.name = name;
    b.url = std::string("http://") + name + ":8080";
    c.backends.push_back(b);
  }
  return c;
}

pubsub::Message MessageWith(std::map<std::string, std::string> attributes) {
  pubsub::Message m;
  m.message_id = "m-1";
  m.attributes = std::move(attributes);
  return m;
}

TEST(BackendRouterTest, HoldsOneBackendPerConfiguredBackendInConfigOrder) {
  testing::FakeClock clock;
  BackendRouter router(TwoBackends(), clock);
  ASSERT_EQ(router.backends().size(), 2u);
  EXPECT_EQ(router.backends()[0]->name(), kOrders);
  EXPECT_EQ(router.backends()[1]->name(), kReports);
}

TEST(BackendRouterTest, EveryMessageNamingABackendGetsTheSameObject) {
  testing::FakeClock clock;
  BackendRouter router(TwoBackends(), clock);
  absl::StatusOr<Backend*> first = router.Route(MessageWith({{kRoutingAttribute, kReports}}));
  absl::StatusOr<Backend*> second = router.Route(MessageWith({{kRoutingAttribute, kReports}}));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first, router.backends()[1].get());
  EXPECT_EQ(*first, *second);
}

TEST(BackendRouterTest, MessageWithoutTheAttributeGoesToTheDefaultBackend) {
  testing::FakeClock clock;
  config::ServiceConfig config = TwoBackends();
  config.default_backend = kReports;
  BackendRouter router(config, clock);
  absl::StatusOr<Backend*> routed = router.Route(MessageWith({{"backend", kOrders}}));
  ASSERT_TRUE(routed.ok()) << routed.status();
  EXPECT_EQ((*routed)->name(), kReports);
}

TEST(BackendRouterTest, UnknownBackendIsPermanentAndQuotesOnlyPrintableNames) {
  testing::FakeClock clock;
  BackendRouter router(TwoBackends(), clock);
  absl::StatusOr<Backend*> unknown = router.Route(MessageWith({{kRoutingAttribute, "nope"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(GetPermanentReason(unknown.status()), PermanentReason::kUnknownBackend);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("'nope'"));

  absl::StatusOr<Backend*> hostile = router.Route(MessageWith({{kRoutingAttribute, "a\r\nX-Evil: 1"}}));
  ASSERT_FALSE(hostile.ok());
  EXPECT_EQ(GetPermanentReason(hostile.status()), PermanentReason::kUnknownBackend);
  EXPECT_THAT(std::string(hostile.status().message()), Not(HasSubstr("X-Evil")));

  absl::StatusOr<Backend*> none = router.Route(MessageWith({}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(GetPermanentReason(none.status()), PermanentReason::kUnknownBackend);
}

}  // namespace
}  // namespace schedsvc::dispatch
