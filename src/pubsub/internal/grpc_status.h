// FromGrpc: the mapping from a gRPC status onto absl::Status for the Pub/Sub client's RPCs. gRPC's codes
// and absl::StatusCode are numerically identical, so the mapping is one-to-one and keeps the message;
// retry policy then switches on codes (schedsvc::IsTransient, src/common/status.h).
#ifndef SCHEDSVC_PUBSUB_INTERNAL_GRPC_STATUS_H_
#define SCHEDSVC_PUBSUB_INTERNAL_GRPC_STATUS_H_

#include "absl/status/status.h"

namespace grpc {
class Status;
}  // namespace grpc

namespace schedsvc::pubsub_internal {

// Returns the absl::Status equivalent of a gRPC status (same code and message).
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_GRPC_STATUS_H_
