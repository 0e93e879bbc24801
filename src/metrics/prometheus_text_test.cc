#include "src/metrics/prometheus_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::metrics {
namespace {

// Part of a schedule-service scrape: a counter family, one whose name extends it, and one with two labels.
constexpr char kScrape[] = R"(# HELP schedsvc_messages_received_total Messages delivered by StreamingPull.
# TYPE schedsvc_messages_received_total counter
schedsvc_messages_received_total{subscription="projects/local-project/subscriptions/schedule-service"} 5
# TYPE schedsvc_messages_acked_total counter
schedsvc_messages_acked_total{backend="demo"} 4
schedsvc_messages_acked_total{backend=""} 0
# TYPE schedsvc_messages_acked_total_extra counter
schedsvc_messages_acked_total_extra 100
# TYPE schedsvc_backend_requests_total counter
schedsvc_backend_requests_total{backend="demo",code_class="2xx"} 3
schedsvc_backend_requests_total{backend="demo",code_class="4xx"} 1
schedsvc_backend_requests_total{backend="demo",code_class="5xx"} 5
schedsvc_backend_requests_total{backend="",code_class="2xx"} 0
)";

TEST(PrometheusTextTest, SumMetricMatchesTheExactNameAndEveryGivenLabel) {
  EXPECT_EQ(SumMetric(kScrape, "schedsvc_messages_acked_total"), 4);  // not the _extra family
  EXPECT_EQ(SumMetric(kScrape, "schedsvc_backend_requests_total"), 9);
  EXPECT_EQ(SumMetric(kScrape, "schedsvc_backend_requests_total", {{"code_class", "5xx"}}), 5);
  EXPECT_EQ(SumMetric(kScrape, "schedsvc_backend_requests_total", {{"code_class", "5xx"}, {"backend", ""}}), 0);
  EXPECT_EQ(SumMetric(kScrape, "schedsvc_no_such_metric"), 0);
}

TEST(PrometheusTextTest, LabelValuesWithQuotesCommasAndBracesAndTimestampsParse) {
  constexpr char kText[] =
      "m{a=\"x,}\\\"y\",b=\"2\"} 7 1700000000000\n"
      "m{a=\"plain\"} 1\n"
      "m {} 2\n"
      "m{a=\"unterminated} 100\n"
      "m{a=\"x\"} not-a-number\n";
  EXPECT_EQ(SumMetric(kText, "m", {{"a", "x,}\"y"}}), 7);
  EXPECT_EQ(SumMetric(kText, "m"), 10);
}

TEST(PrometheusTextTest, ParsePrometheusSampleSkipsCommentsAndBlankLines) {
  EXPECT_FALSE(ParsePrometheusSample("# TYPE m counter").has_value());
  EXPECT_FALSE(ParsePrometheusSample("   ").has_value());
  auto s = ParsePrometheusSample("m{a=\"b\"} 3");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "m");
  EXPECT_EQ(s->labels.at("a"), "b");
  EXPECT_EQ(s->value, 3);
}

}  // namespace
}  // namespace schedsvc::metrics
