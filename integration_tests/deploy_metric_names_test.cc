// Unit tests of the metric-name extraction, and the static half of the monitoring check: every name the
// alert rules and the dashboard read is one docs/metrics.md promises (the scrape test then checks the
// running binary really exports it).
#include "integration_tests/deploy_metric_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "src/metrics/service_metrics.h"
#include "testing/child_process.h"

namespace schedsvc::deploy_testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const std::string kSourceDir = SCHEDSVC_SOURCE_DIR;

TEST(MetricNamesInPromQlTest, FindsPlainSelectors) {
  EXPECT_THAT(MetricNamesInPromQl("schedsvc_ready == 0"), ElementsAre("schedsvc_ready"));
  EXPECT_THAT(MetricNamesInPromQl("up"), ElementsAre("up"));
}

TEST(MetricNamesInPromQlTest, SkipsLabelMatchersRangesAndStrings) {
  EXPECT_THAT(MetricNamesInPromQl(
                  R"(rate(schedsvc_backend_requests_total{code_class=~"4xx|5xx", backend="a{b}"}[5m]))"),
              ElementsAre("schedsvc_backend_requests_total"));
}

TEST(MetricNamesInPromQlTest, SkipsAggregationClausesFunctionsAndKeywords) {
  EXPECT_THAT(
      MetricNamesInPromQl("histogram_quantile(0.95, sum by (namespace, backend, le) "
                          "(rate(schedsvc_end_to_end_latency_seconds_bucket[5m]))) > 30"),
      ElementsAre("schedsvc_end_to_end_latency_seconds_bucket"));
  EXPECT_THAT(MetricNamesInPromQl("sum(rate(a_total[1m])) without (pod) / on (namespace) "
                                  "group_left (node) b and bool c unless d offset 1h"),
              UnorderedElementsAre("a_total", "b", "c", "d"));
}

TEST(MetricNamesInPromQlTest, NumbersAndDurationsAreNotNames) {
  EXPECT_THAT(MetricNamesInPromQl("x > 1e3 or y < .5 or z > 0x1F"), UnorderedElementsAre("x", "y", "z"));
}

TEST(MetricNamesInPromQlTest, IgnoresGrafanaVariables) {
  EXPECT_THAT(MetricNamesInPromQl("rate(m_total{ns=~\"$namespace\"}[$__rate_interval]) * $factor"),
              ElementsAre("m_total"));
}

TEST(MetricNamesInPromQlTest, LabelValuesYieldsOnlyTheMetric) {
  EXPECT_THAT(MetricNamesInPromQl(R"(label_values(schedsvc_backend_requests_total{a="b"}, backend))"),
              ElementsAre("schedsvc_backend_requests_total"));
  EXPECT_THAT(MetricNamesInPromQl("label_values(namespace)"), IsEmpty());
}

TEST(ParseExpositionTest, HistogramSuffixesMapToTheFamily) {
  Exposition e = ParseExposition(
      "# HELP h help\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_sum 0\nh_count 0\n"
      "# TYPE c_total counter\nc_total{backend=\"x\"} 3\n# TYPE s summary\n");
  EXPECT_TRUE(IsExported("h", e));
  EXPECT_TRUE(IsExported("h_bucket", e));
  EXPECT_TRUE(IsExported("c_total", e));
  EXPECT_TRUE(IsExported("s_sum", e));
  EXPECT_FALSE(IsExported("s_bucket", e));
  EXPECT_FALSE(IsExported("c_total_bucket", e));
  EXPECT_FALSE(IsExported("missing", e));
}

TEST(ParseMetricsContractTest, ReadsTablesAndExternalNames) {
  auto contract = ParseMetricsContract(
      "# Metrics\n\n## schedule-service\n\n| metric | type |\n|---|---|\n| `a_total` | counter |\n"
      "| `b` | gauge |\n\n## cloud-scheduler-emulator\n| `c` | gauge |\n\n"
      "## Names from outside (allowed)\n- kube: `k1`, `k2`,\n  `k3`.\n");
  ASSERT_TRUE(contract.ok()) << contract.status();
  EXPECT_THAT(contract->by_binary["schedule-service"], UnorderedElementsAre("a_total", "b"));
  EXPECT_THAT(contract->by_binary["cloud-scheduler-emulator"], ElementsAre("c"));
  EXPECT_THAT(contract->external, UnorderedElementsAre("k1", "k2", "k3"));
}

TEST(ParseMetricsContractTest, RejectsADocumentWithoutTheServiceTable) {
  EXPECT_FALSE(ParseMetricsContract("## Names from outside\n- `k`\n").ok());
}

TEST(ParseMetricsContractTest, RejectsOwnPrefixedNamesFromOutside) {
  constexpr char kTable[] =
      "## schedule-service\n| `schedsvc_ready` | gauge |\n| `process_cpu_seconds_total` | counter |\n";
  for (const std::string name : {"schedsvc_messages_acked_total", "process_open_fds"}) {
    auto contract =
        ParseMetricsContract(absl::StrCat(kTable, "## Names from outside\n- `kube_x`, `", name, "`\n"));
    ASSERT_FALSE(contract.ok()) << name;
    EXPECT_THAT(contract.status().message(), ::testing::HasSubstr(name));
  }
  EXPECT_TRUE(ParseMetricsContract(absl::StrCat(kTable, "## Names from outside\n- `kube_x`\n")).ok());
}

TEST(ParseMetricsContractTest, RejectsANameBothOwnAndFromOutside) {
  auto contract = ParseMetricsContract(
      "## schedule-service\n| `a_total` | counter |\n## Names from outside\n- `k`, `a_total`\n");
  ASSERT_FALSE(contract.ok());
  EXPECT_THAT(contract.status().message(), ::testing::HasSubstr("a_total"));
}

TEST(ParseMetricsContractTest, ReadsTheRealContract) {
  auto contract = ParseMetricsContract(testing::ReadFileOrEmpty(kSourceDir + "/docs/metrics.md"));
  ASSERT_TRUE(contract.ok()) << contract.status();
  EXPECT_TRUE(contract->by_binary["schedule-service"].count("schedsvc_end_to_end_latency_seconds"));
  EXPECT_TRUE(contract->by_binary["schedule-service"].count("process_resident_memory_bytes"));
  EXPECT_TRUE(contract->external.count("kube_deployment_status_replicas_unavailable"));
  EXPECT_TRUE(contract->external.count(
      "stackdriver_pubsub_subscription_pubsub_googleapis_com_subscription_oldest_unacked_message_age"));
}

// The reason words docs/metrics.md lists in the row of `metric`: the backticked words after the metric and
// its two labels (`backend`, `reason`).
std::set<std::string> DocumentedReasons(const std::string& markdown, const std::string& metric) {
  std::set<std::string> reasons;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (!absl::StartsWith(line, absl::StrCat("| `", metric, "` |"))) continue;
    constexpr std::size_t kWordsBeforeReasons = 3;  // the metric, `backend`, `reason`
    // Odd parts of a split at '`' are the backticked words.
    std::vector<absl::string_view> parts = absl::StrSplit(line, '`');
    for (std::size_t i = 1 + 2 * kWordsBeforeReasons; i < parts.size(); i += 2) reasons.emplace(parts[i]);
  }
  return reasons;
}

TEST(DeployMonitoringContractTest, PreCreatedReasonsAreTheDocumentedOnes) {
  const std::string markdown = testing::ReadFileOrEmpty(kSourceDir + "/docs/metrics.md");
  const std::set<std::string> nack_reasons(metrics::kNackReasons.begin(), metrics::kNackReasons.end());
  const std::set<std::string> dead_letter_reasons(metrics::kDeadLetterReasons.begin(),
                                                  metrics::kDeadLetterReasons.end());
  EXPECT_EQ(DocumentedReasons(markdown, "schedsvc_messages_nacked_total"), nack_reasons);
  EXPECT_EQ(DocumentedReasons(markdown, "schedsvc_messages_dead_lettered_total"), dead_letter_reasons);
}

// Histogram samples count as their documented family.
bool Documented(const std::string& name, const MetricsContract& contract) {
  const auto& own = contract.by_binary.at("schedule-service");
  if (own.count(name) > 0 || contract.external.count(name) > 0) return true;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        own.count(name.substr(0, name.size() - suffix.size())) > 0) {
      return true;
    }
  }
  return false;
}

TEST(DeployMonitoringContractTest, AlertRulesUseOnlyDocumentedNames) {
  auto contract = ParseMetricsContract(testing::ReadFileOrEmpty(kSourceDir + "/docs/metrics.md"));
  ASSERT_TRUE(contract.ok()) << contract.status();
  auto exprs = RuleFileExpressions(testing::ReadFileOrEmpty(kSourceDir + "/deploy/monitoring/alerts.yaml"));
  ASSERT_TRUE(exprs.ok()) << exprs.status();
  for (const std::string& expr : *exprs) {
    std::set<std::string> names = MetricNamesInPromQl(expr);
    EXPECT_FALSE(names.empty()) << "no metric found in rule expression: " << expr;
    for (const std::string& name : names) {
      EXPECT_TRUE(Documented(name, *contract)) << name << " (in " << expr << ") is not in docs/metrics.md";
    }
  }
}

TEST(DeployMonitoringContractTest, DashboardUsesOnlyDocumentedNames) {
  auto contract = ParseMetricsContract(testing::ReadFileOrEmpty(kSourceDir + "/docs/metrics.md"));
  ASSERT_TRUE(contract.ok()) << contract.status();
  auto exprs =
      DashboardExpressions(testing::ReadFileOrEmpty(kSourceDir + "/deploy/monitoring/dashboard.json"));
  ASSERT_TRUE(exprs.ok()) << exprs.status();
  EXPECT_GT(exprs->size(), 20u);
  for (const std::string& expr : *exprs) {
    std::set<std::string> names = MetricNamesInPromQl(expr);
    EXPECT_FALSE(names.empty()) << "no metric found in dashboard query: " << expr;
    for (const std::string& name : names) {
      EXPECT_TRUE(Documented(name, *contract)) << name << " (in " << expr << ") is not in docs/metrics.md";
    }
  }
}

}  // namespace
}  // namespace schedsvc::deploy_testing
