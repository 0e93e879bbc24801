#include "src/cli/service_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "src/metrics/service_metrics.h"

namespace schedsvc::cli {
namespace {

using ::testing::HasSubstr;

// A scrape after: 3 messages delivered (2xx) and acked; one answered 400, dead-lettered and then acked
// (so acked_total is 4); 2 in-pod retries (503s) of messages later delivered; one message whose retry
// budget was spent, nacked for Pub/Sub to redeliver.
constexpr char kScrape[] = R"(# HELP schedsvc_messages_received_total Messages delivered by StreamingPull.
# TYPE schedsvc_messages_received_total counter
schedsvc_messages_received_total{subscription="projects/local-project/subscriptions/schedule-service"} 5
# TYPE schedsvc_messages_acked_total counter
schedsvc_messages_acked_total{backend="demo"} 4
schedsvc_messages_acked_total{backend=""} 0
# TYPE schedsvc_messages_acked_total_extra counter
schedsvc_messages_acked_total_extra 100
# TYPE schedsvc_messages_nacked_total counter
schedsvc_messages_nacked_total{backend="demo",reason="retry_budget_spent"} 1
schedsvc_messages_nacked_total{backend="demo",reason="shutdown"} 0
# TYPE schedsvc_messages_dead_lettered_total counter
schedsvc_messages_dead_lettered_total{backend="demo",reason="http_4xx"} 1
# TYPE schedsvc_backend_requests_total counter
schedsvc_backend_requests_total{backend="demo",code_class="2xx"} 3
schedsvc_backend_requests_total{backend="demo",code_class="4xx"} 1
schedsvc_backend_requests_total{backend="demo",code_class="5xx"} 5
schedsvc_backend_requests_total{backend="",code_class="2xx"} 0
# TYPE schedsvc_retries_total counter
schedsvc_retries_total{backend="demo"} 2
schedsvc_retries_total{backend=""} 0
# TYPE schedsvc_end_to_end_latency_seconds histogram
schedsvc_end_to_end_latency_seconds_bucket{backend="demo",le="0.5"} 3
schedsvc_end_to_end_latency_seconds_count{backend="demo"} 3
)";

TEST(ServiceStatusTest, DeliveredCountsSuccessfulDeliveriesNotDeadLetterAcks) {
  auto figures = ParseServiceFigures(kScrape);
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ(figures->delivered, 3);  // acked_total says 4: one of those acks followed a dead-letter publish
  EXPECT_EQ(figures->http_retries, 2);
  EXPECT_EQ(figures->nacked, 1);
  EXPECT_EQ(figures->dead_lettered, 1);
  EXPECT_EQ(FormatServiceFigures(*figures),
            "delivered 3, HTTP retries in pod 2, nacked for Pub/Sub redelivery 1, dead-lettered 1");
}

TEST(ServiceStatusTest, SomethingElsesMetricsAreAnError) {
  auto figures = ParseServiceFigures("# TYPE up gauge\nup 1\n");
  EXPECT_EQ(figures.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(figures.status().message(), HasSubstr("not schedule-service's /metrics"));
}

TEST(ServiceStatusTest, ReadsWhatServiceMetricsExports) {
  // The same events through the real exporter, so a renamed metric or label breaks this test.
  metrics::ServiceMetrics m("projects/p/subscriptions/s", {"demo"});
  for (int i = 0; i < 5; ++i) m.MessageReceived();
  for (int i = 0; i < 3; ++i) {
    m.BackendRequest("demo", "2xx", absl::Milliseconds(5));
    m.Acked("demo");
  }
  m.BackendRequest("demo", "4xx", absl::Milliseconds(5));
  m.DeadLettered("demo", "http_4xx");
  m.Acked("demo");
  m.Retry("demo");
  m.Retry("demo");
  m.Nacked("demo", "retry_budget_spent");
  auto figures =
      ParseServiceFigures(prometheus::TextSerializer().Serialize(m.registry()->Collect()));
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ(figures->delivered, 3);
  EXPECT_EQ(figures->http_retries, 2);
  EXPECT_EQ(figures->nacked, 1);
  EXPECT_EQ(figures->dead_lettered, 1);
}

}  // namespace
}  // namespace schedsvc::cli
