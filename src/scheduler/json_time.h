// The proto3 JSON text of google.protobuf.Duration ("600s") and google.protobuf.Timestamp (RFC 3339 in UTC):
// how Cloud Scheduler writes times in its REST bodies, in the X-CloudScheduler-ScheduleTime header and in
// our log lines. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_JSON_TIME_H_
#define SCHEDSVC_SCHEDULER_JSON_TIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace schedsvc::scheduler {

// Returns "600s", "0.500s" (proto3 JSON Duration: 0, 3, 6 or 9 fractional digits).
std::string FormatJsonDuration(absl::Duration d);
// Parses a proto3 JSON Duration ("600s", "1.5s"). kInvalidArgument otherwise.
absl::StatusOr<absl::Duration> ParseJsonDuration(absl::string_view text);
// Returns RFC 3339 in UTC with "Z" ("2026-11-23T09:30:00Z", fractional seconds only when non-zero).
std::string FormatJsonTimestamp(absl::Time t);
// Parses an RFC 3339 timestamp. kInvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseJsonTimestamp(absl::string_view text);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_JSON_TIME_H_
