// The schedule-service part of `schedctl up`'s live status line, computed from one scrape of the
// service's /metrics (Prometheus text; names per docs/metrics.md). Pure functions, no I/O; thread-safe.
//
// What each figure counts:
//   delivered       schedsvc_backend_requests_total{code_class="2xx"}: HTTP attempts the backend answered
//                   2xx, i.e. successful deliveries. Not schedsvc_messages_acked_total, which also counts
//                   the ack that follows a dead-letter publish (and, in on-receipt mode, every receipt).
//   HTTP retries    schedsvc_retries_total: in-pod retries of an HTTP call (same delivery, another attempt).
//   nacked          schedsvc_messages_nacked_total: messages handed back to Pub/Sub, which redelivers them
//                   later (a new delivery attempt).
//   dead-lettered   schedsvc_messages_dead_lettered_total.
#ifndef SCHEDSVC_CLI_SERVICE_STATUS_H_
#define SCHEDSVC_CLI_SERVICE_STATUS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::cli {

struct ServiceFigures {
  double delivered = 0;
  double http_retries = 0;
  double nacked = 0;
  double dead_lettered = 0;
};

// Returns the figures in `exposition`. kInvalidArgument if it is not schedule-service's (it has no
// schedsvc_messages_received_total sample, which the service always exports).
absl::StatusOr<ServiceFigures> ParseServiceFigures(absl::string_view exposition);

// Returns e.g. "delivered 3, HTTP retries in pod 2, nacked for Pub/Sub redelivery 1, dead-lettered 1".
std::string FormatServiceFigures(const ServiceFigures& figures);

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_SERVICE_STATUS_H_
