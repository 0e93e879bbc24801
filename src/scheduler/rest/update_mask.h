// Update masks for the REST UpdateJob (PATCH …/jobs/J?updateMask=a,b.c), applied on the JSON form of a Job;
// the gRPC UpdateJob applies the same rules (update_mask_rules.h) on the proto (proto_update_mask.h).
// The traps gcloud sets (reference/cloud-scheduler-api.md):
//   - the patch body carries unmasked defaults (retryConfig, timeZone, httpMethod): only masked paths apply;
//   - a masked path absent (or null) in the body clears the field back to its default (`--clear-*`);
//   - a masked map (pubsubTarget.attributes, httpTarget.headers) is replaced whole, and null values in it
//     mean "delete this key" (they are dropped);
//   - no mask at all: every mutable top-level field present in the body replaces the stored one whole
//     (absent fields are kept). Setting one target type removes the other.
// Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_UPDATE_MASK_H_
#define SCHEDSVC_SCHEDULER_REST_UPDATE_MASK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "src/scheduler/update_mask_rules.h"

namespace schedsvc::scheduler {

// Returns `current` (a Job's JSON) with `patch` applied per `paths` (see above; empty = no mask).
// kInvalidArgument naming the path for an unknown or output-only path, or a body that is not an object.
absl::StatusOr<nlohmann::json> ApplyUpdateMask(const nlohmann::json& current,
                                               const nlohmann::json& patch,
                                               const std::vector<std::string>& paths);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_UPDATE_MASK_H_
