// The rules of UpdateJob's update mask, shared by the REST update (rest/update_mask.h, on a job's JSON) and
// the gRPC one (proto_update_mask.h, on the proto). Paths are the REST camelCase ones
// ("retryConfig.retryCount"); the traps gcloud sets are described in rest/update_mask.h. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_UPDATE_MASK_RULES_H_
#define SCHEDSVC_SCHEDULER_UPDATE_MASK_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace schedsvc::scheduler {

// Splits "a,b.c" into paths, converting snake_case segments (gRPC FieldMask) to camelCase (REST).
// Empty input gives no paths.
std::vector<std::string> ParseUpdateMask(absl::string_view mask);

// OK when every path names an updatable field of Job; otherwise kInvalidArgument naming the first path
// that does not (unknown or output-only).
absl::Status CheckUpdatePaths(const std::vector<std::string>& paths);

// True for the string maps (pubsubTarget.attributes, httpTarget.headers), which a masked update replaces whole.
bool IsMapPath(absl::string_view path);

// The mutable top-level fields, in the order an update without a mask applies them.
absl::Span<const absl::string_view> TopLevelMutableFields();

// For a target field ("pubsubTarget", "httpTarget"), the other target, which an update without a mask
// removes when it sets this one; empty for any other field.
absl::string_view OtherTarget(absl::string_view field);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_UPDATE_MASK_RULES_H_
