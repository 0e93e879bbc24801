// Reading the Prometheus text exposition format (what a /metrics endpoint serves): one sample line
// parsed, and the sum of a metric's samples. Pure functions, no I/O; thread-safe. Used by schedctl's
// status line and by tests that scrape schedule-service.
#ifndef SCHEDSVC_METRICS_PROMETHEUS_TEXT_H_
#define SCHEDSVC_METRICS_PROMETHEUS_TEXT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace schedsvc::metrics {

// One sample line: `name[{labels}] value [timestamp]`.
struct PrometheusSample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped (\\, \" and \n)
  double value = 0;
};

// Parses one line of an exposition. nullopt for comments, blank lines and malformed samples
// (unterminated labels, a value that does not parse).
std::optional<PrometheusSample> ParsePrometheusSample(absl::string_view line);

// Returns the sum of every sample of `metric` (the exact name; "x_total" does not match "x_total_y")
// whose labels include all of `labels`, in a Prometheus text exposition. Comment lines and samples
// whose value does not parse are skipped.
double SumMetric(absl::string_view exposition, absl::string_view metric,
                 const std::map<std::string, std::string>& labels = {});

}  // namespace schedsvc::metrics

#endif  // SCHEDSVC_METRICS_PROMETHEUS_TEXT_H_
