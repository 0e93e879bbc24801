#include "src/cli/service_status.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/metrics/prometheus_text.h"

namespace schedsvc::cli {

using ::schedsvc::metrics::SumMetric;

absl::StatusOr<ServiceFigures> ParseServiceFigures(absl::string_view exposition) {
  bool found = false;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    std::optional<metrics::PrometheusSample> s = metrics::ParsePrometheusSample(line);
    if (s.has_value() && s->name == "schedsvc_messages_received_total") {
      found = true;
      break;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError("no schedsvc_messages_received_total sample: not schedule-service's /metrics");
  }
  ServiceFigures f;
  f.delivered = SumMetric(exposition, "schedsvc_backend_requests_total", {{"code_class", "2xx"}});
  f.http_retries = SumMetric(exposition, "schedsvc_retries_total");
  f.nacked = SumMetric(exposition, "schedsvc_messages_nacked_total");
  f.dead_lettered = SumMetric(exposition, "schedsvc_messages_dead_lettered_total");
  return f;
}

std::string FormatServiceFigures(const ServiceFigures& f) {
  return absl::StrCat("delivered ", f.delivered, ", HTTP retries in pod ", f.http_retries,
                      ", nacked for Pub/Sub redelivery ", f.nacked, ", dead-lettered ", f.dead_lettered);
}

}  // namespace schedsvc::cli
