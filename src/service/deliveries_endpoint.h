// The admin port's GET /debug/deliveries?limit=N&backend=B&outcome=O: parses the query into a filter of
// the recent-deliveries ring (src/dispatch/recent_deliveries.h) and renders the matching records as JSON,
// newest first:
//   {"capacity":256,"deliveries":[{"time":"2026-03-29T01:00:00.5Z","messageId":"…","publishTime":"…",
//     "deliveryAttempt":1,"attributes":{"path":"/jobs/x"},"backend":"demo","attempts":1,"httpStatus":200,
//     "latencyMs":12.5,"outcome":"delivered","reason":"","reasonCode":"","truncated":false}]}
// Times are RFC 3339 in UTC ("" when unknown). Pure functions: the HTTP transport is AdminServer's.
#ifndef SCHEDSVC_SERVICE_DELIVERIES_ENDPOINT_H_
#define SCHEDSVC_SERVICE_DELIVERIES_ENDPOINT_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/dispatch/recent_deliveries.h"

namespace schedsvc::service {

// The largest `limit` accepted (the largest ring, admin.recent_deliveries).
inline constexpr int kMaxDeliveriesLimit = 10000;
// The number of records listed when the query gives no `limit`: bounds what a request without one copies.
inline constexpr std::size_t kDefaultDeliveriesLimit = 100;

// Returns the filter the query parameters ask for of a ring of `capacity` records: `limit`
// 1-kMaxDeliveriesLimit (absent: kDefaultDeliveriesLimit), lowered to `capacity` (so a request copies at
// most what the ring holds), `backend` a backend name (absent or empty: all), `outcome` one of delivered,
// handed_back, dead_lettered, lost (absent or empty: all). kInvalidArgument, with a message that names the
// parameter and the accepted values, for a malformed value, a parameter given twice or an unknown parameter.
absl::StatusOr<dispatch::DeliveryFilter> ParseDeliveriesQuery(const std::multimap<std::string, std::string>& params,
                                                              std::size_t capacity);

// Returns "2026-03-29T01:00:00.5Z" (RFC 3339, UTC, fractional seconds only when non-zero); "" for an
// infinite time (unknown).
std::string Rfc3339Utc(absl::Time t);

// Returns one record as the endpoint shows it.
nlohmann::json DeliveryRecordJson(const dispatch::DeliveryRecord& record);

// Returns the endpoint's answer for `filter`.
nlohmann::json DeliveriesJson(const dispatch::RecentDeliveries& recent, const dispatch::DeliveryFilter& filter);

}  // namespace schedsvc::service

#endif  // SCHEDSVC_SERVICE_DELIVERIES_ENDPOINT_H_
