// BackendRouter: the configured backends, one Backend object each (backend.h), and the routing rule
// that resolves a message to one of them (DESIGN §2): the backend named by the message's routing
// attribute (`routing.attribute`, default "backend"), else `routing.default_backend`; no such backend,
// or neither an attribute nor a default, is permanent (PermanentReason::kUnknownBackend). A message can
// only reach a backend named in the config.
//
// The MessageDispatcher owns one and calls Route() once per delivery; every attempt of the delivery
// then uses the Backend it returned. Built once from the config; the set of backends never changes
// after construction. Thread-safe (Route() only reads). The Clock must outlive the router.
#ifndef SCHEDSVC_DISPATCH_BACKEND_ROUTER_H_
#define SCHEDSVC_DISPATCH_BACKEND_ROUTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"
#include "src/dispatch/backend.h"
#include "src/dispatch/secret_file.h"
#include "src/pubsub/message.h"

namespace schedsvc::dispatch {

class BackendRouter {
 public:
  // `config.backends` must hold valid backends with distinct names (the config loader checks them).
  // `clock` and `recheck_interval` go to each Backend.
  BackendRouter(const config::ServiceConfig& config, const Clock& clock,
                absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);

  // Returns the backend `message` routes to (never null; it lives as long as the router), or
  // PermanentError(kUnknownBackend) naming the missing backend when its name is short and printable.
  absl::StatusOr<Backend*> Route(const pubsub::Message& message) const;

  // Every backend, in ServiceConfig::backends order.
  const std::vector<std::unique_ptr<Backend>>& backends() const { return backends_; }

 private:
  const std::string routing_attribute_;
  const std::string default_backend_;
  std::vector<std::unique_ptr<Backend>> backends_;
  absl::flat_hash_map<std::string, Backend*> by_name_;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_BACKEND_ROUTER_H_
