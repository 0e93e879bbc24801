#include "src/pubsub/internal/grpc_status.h"

#include <grpcpp/support/status.h>

namespace schedsvc::pubsub_internal {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace schedsvc::pubsub_internal
