// GrpcLogRoute: while one exists, gRPC's own log lines (gpr_log: channel and subchannel failures, server
// errors) go to a JsonLogger as JSON lines with "component":"grpc" instead of straight to stderr. gRPC
// writes stderr synchronously from whichever thread logs, so a stderr nobody reads (a stalled log pipe)
// would stop that gRPC thread; through an asynchronous JsonLogger nothing waits for a log reader, and the
// lines share the process's one log format. GRPC_VERBOSITY still decides which lines gRPC produces
// (ERROR by default).
//
// gRPC's log function is process-wide: at most one route at a time (a second one while the first lives
// is a programming error: CHECKed). Destroying the route restores gRPC's default (stderr) and waits for
// lines being logged through it, so the logger may be destroyed right after.
#ifndef SCHEDSVC_PUBSUB_GRPC_LOG_ROUTE_H_
#define SCHEDSVC_PUBSUB_GRPC_LOG_ROUTE_H_

#include "src/common/json_log.h"

namespace schedsvc::pubsub {

class GrpcLogRoute {
 public:
  // `log` must outlive this.
  explicit GrpcLogRoute(JsonLogger& log);
  ~GrpcLogRoute();
  GrpcLogRoute(const GrpcLogRoute&) = delete;
  GrpcLogRoute& operator=(const GrpcLogRoute&) = delete;
};

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_GRPC_LOG_ROUTE_H_
