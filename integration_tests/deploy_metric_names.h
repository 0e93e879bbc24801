// Metric-name bookkeeping for the deploy/ checks: which names docs/metrics.md promises, which names a
// PromQL expression (alert rule, dashboard panel, Grafana variable) reads, and which names a running
// binary's /metrics page exports. Used by deploy_metric_names_test.cc (against the contract) and
// deploy_metrics_scrape_test.cc (against a running schedule-service).
//
// Pure functions over text; thread-safe.
#ifndef SCHEDSVC_INTEGRATION_TESTS_DEPLOY_METRIC_NAMES_H_
#define SCHEDSVC_INTEGRATION_TESTS_DEPLOY_METRIC_NAMES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::deploy_testing {

// docs/metrics.md: the table of each binary ("## schedule-service", "## cloud-scheduler-emulator") and
// the names from outside (kube-state-metrics, cAdvisor, stackdriver-exporter) rules may also use.
struct MetricsContract {
  std::map<std::string, std::set<std::string>> by_binary;
  std::set<std::string> external;
};

// Parses the contract. kInvalidArgument if the schedule-service table or the "Names from outside"
// section is missing or empty, or if a name from outside has one of our prefixes (schedsvc_, process_)
// or is also in a binary's table: the scrape test skips external names, so such an entry would hide a
// metric the service no longer exports.
absl::StatusOr<MetricsContract> ParseMetricsContract(absl::string_view markdown);

// Returns the metric names `expr` selects: identifiers that are not PromQL keywords, aggregation
// operators, function names or label names (inside {...}, by/without/on/ignoring/group_x (...)).
// Grafana's label_values(metric{...}, label) yields only the metric; $variables are ignored.
std::set<std::string> MetricNamesInPromQl(absl::string_view expr);

// Every `expr` (and `record`) of a Prometheus rule file (groups[].rules[]). kInvalidArgument if the
// YAML does not parse or has no rules.
absl::StatusOr<std::vector<std::string>> RuleFileExpressions(const std::string& yaml_text);

// Every query of a Grafana dashboard: each "expr" anywhere under "panels" and each query variable's
// query. kInvalidArgument if the JSON does not parse.
absl::StatusOr<std::vector<std::string>> DashboardExpressions(const std::string& json_text);

// What a Prometheus text exposition declares: families from "# TYPE name type" lines and sample names.
struct Exposition {
  std::map<std::string, std::string> family_types;
  std::set<std::string> sample_names;
};
Exposition ParseExposition(absl::string_view text);

// True if `name` is a family or sample of `exposition`; name_bucket / name_sum / name_count count as
// exported when name is a histogram (or summary, for _sum/_count) family.
bool IsExported(const std::string& name, const Exposition& exposition);

}  // namespace schedsvc::deploy_testing

#endif  // SCHEDSVC_INTEGRATION_TESTS_DEPLOY_METRIC_NAMES_H_
