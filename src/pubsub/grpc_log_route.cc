#include "src/pubsub/grpc_log_route.h"

#include <cstdio>

#include <grpc/support/log.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "src/common/check.h"

namespace schedsvc::pubsub {
namespace {

// Readers: gRPC threads logging a line. Writer: installing and removing the route.
ABSL_CONST_INIT absl::Mutex route_mu(absl::kConstInit);
JsonLogger* route_log ABSL_GUARDED_BY(route_mu) = nullptr;

Severity FromGpr(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return Severity::kDebug;
    case GPR_LOG_SEVERITY_INFO:
      return Severity::kInfo;
    case GPR_LOG_SEVERITY_ERROR:
      break;
  }
  return Severity::kError;
}

void LogThroughRoute(gpr_log_func_args* args) {
  absl::ReaderMutexLock lock(&route_mu);
  if (route_log == nullptr) {
    // A line logged while the route was being removed: where gRPC's default would have put it.
    std::fprintf(stderr, "grpc %s:%d: %s\n", args->file != nullptr ? args->file : "", args->line,
                 args->message != nullptr ? args->message : "");
    return;
  }
  route_log->Log(FromGpr(args->severity), args->message != nullptr ? args->message : "",
                 {{"component", "grpc"}, {"file", args->file != nullptr ? args->file : ""}, {"line", args->line}});
}

}  // namespace

GrpcLogRoute::GrpcLogRoute(JsonLogger& log) {
  {
    absl::MutexLock lock(&route_mu);
    SCHEDSVC_CHECK(route_log == nullptr);
    route_log = &log;
  }
  gpr_set_log_function(&LogThroughRoute);
}

GrpcLogRoute::~GrpcLogRoute() {
  gpr_set_log_function(nullptr);  // gRPC's default: stderr
  // Lines already inside LogThroughRoute hold the reader lock; this waits for them.
  absl::MutexLock lock(&route_mu);
  route_log = nullptr;
}

}  // namespace schedsvc::pubsub
