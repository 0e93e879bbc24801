#include "src/service/deliveries_endpoint.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace schedsvc::service {
namespace {

constexpr char kLimit[] = "limit";
constexpr char kBackend[] = "backend";
constexpr char kOutcome[] = "outcome";
// A query value quoted back in an error is cut to this many bytes.
constexpr std::size_t kMaxQuotedBytes = 64;

std::string Quote(const std::string& value) {
  return absl::StrCat("'", value.size() > kMaxQuotedBytes ? value.substr(0, kMaxQuotedBytes) + "..." : value, "'");
}

std::string OutcomeNames() {
  std::vector<std::string> names;
  for (dispatch::FinalOutcome o : dispatch::kAllFinalOutcomes) names.emplace_back(dispatch::FinalOutcomeName(o));
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::StatusOr<dispatch::DeliveryFilter> ParseDeliveriesQuery(
    const std::multimap<std::string, std::string>& params, std::size_t capacity) {
  dispatch::DeliveryFilter filter;
  filter.limit = kDefaultDeliveriesLimit;
  for (const auto& [name, value] : params) {
    if (name != kLimit && name != kBackend && name != kOutcome) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown parameter ", Quote(name), " (known: limit, backend, outcome)"));
    }
    if (params.count(name) > 1) return absl::InvalidArgumentError(absl::StrCat(name, " is given more than once"));
    if (name == kLimit) {
      int limit = 0;
      if (!absl::SimpleAtoi(value, &limit) || limit < 1 || limit > kMaxDeliveriesLimit) {
        return absl::InvalidArgumentError(
            absl::StrCat("limit must be a whole number from 1 to ", kMaxDeliveriesLimit, ", got ", Quote(value)));
      }
      filter.limit = static_cast<std::size_t>(limit);
    } else if (name == kBackend) {
      if (!value.empty()) filter.backend = value;
    } else if (!value.empty()) {
      auto outcome = dispatch::ParseFinalOutcome(value);
      if (!outcome.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("outcome must be one of ", OutcomeNames(), ", got ", Quote(value)));
      }
      filter.outcome = *outcome;
    }
  }
  filter.limit = std::min(*filter.limit, capacity);
  return filter;
}

std::string Rfc3339Utc(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

nlohmann::json DeliveryRecordJson(const dispatch::DeliveryRecord& r) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [key, value] : r.attributes) attributes[key] = value;
  return nlohmann::json{
      {"time", Rfc3339Utc(r.time)},
      {"messageId", r.message_id},
      {"publishTime", Rfc3339Utc(r.publish_time)},
      {"deliveryAttempt", r.delivery_attempt},
      {"attributes", std::move(attributes)},
      {"backend", r.backend},
      {"attempts", r.attempts},
      {"httpStatus", r.http_status},
      {"latencyMs", absl::ToDoubleMilliseconds(r.latency)},
      {"outcome", std::string(dispatch::FinalOutcomeName(r.outcome))},
      {"reason", r.reason},
      {"reasonCode", r.reason_code},
      {"truncated", r.truncated},
  };
}

nlohmann::json DeliveriesJson(const dispatch::RecentDeliveries& recent, const dispatch::DeliveryFilter& filter) {
  nlohmann::json deliveries = nlohmann::json::array();
  for (const dispatch::DeliveryRecord& r : recent.Snapshot(filter)) deliveries.push_back(DeliveryRecordJson(r));
  return nlohmann::json{{"capacity", recent.capacity()}, {"deliveries", std::move(deliveries)}};
}

}  // namespace schedsvc::service
