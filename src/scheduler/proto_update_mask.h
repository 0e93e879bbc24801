// UpdateJob's update mask applied on google.cloud.scheduler.v1.Job (the gRPC API), with the rules of
// update_mask_rules.h and the meaning of the REST update (rest/update_mask.h) on the patch's proto3 JSON:
// a field is "present" in the patch when protobuf's JSON printer would write it (a set message, a
// non-empty map, a scalar with a non-default value or, for max_doublings, with presence). So
//   - with a mask, a masked path present in the patch replaces the stored field whole (a map whole), an
//     absent one clears it; the mask is checked before anything is applied;
//   - without a mask, each mutable top-level field present in the patch replaces the stored one, and
//     setting one target removes the other.
// The result is a JobRequest: a mask can give a job both targets (the proto's oneof cannot hold them), which
// ValidateJob then refuses as over REST. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_PROTO_UPDATE_MASK_H_
#define SCHEDSVC_SCHEDULER_PROTO_UPDATE_MASK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/cloud/scheduler/v1/job.pb.h"
#include "src/scheduler/job.h"

namespace schedsvc::scheduler {

// Returns `current` with `patch` applied per `paths` (camelCase, from ParseUpdateMask; empty = no mask), the
// REST defaults filled. kInvalidArgument for a path that is not updatable (CheckUpdatePaths), a patch without a
// JSON form (CheckJobJsonForm), or a merged job CheckJobProto refuses (its REST messages).
absl::StatusOr<JobRequest> ApplyUpdateMaskToProto(const Job& current, const google::cloud::scheduler::v1::Job& patch,
                                                  const std::vector<std::string>& paths);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_PROTO_UPDATE_MASK_H_
