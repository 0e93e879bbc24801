// BackendRequestBuilder: turns one Pub/Sub message into the HTTP request for its backend, exactly as
// DESIGN §2 says. Routing is by attribute (`routing.attribute`, default "backend", falling back to
// `routing.default_backend`); the attributes `path`, `method` and `content_type` shape the request; the
// message data is the body. A message can only reach a backend named in the config: the URL is the
// backend's configured base URL plus a validated path, so no attribute can change scheme, host or port.
//
// Headers sent, in this order: the backend's static `headers` (except names this builder sets),
// Content-Type, Authorization (from the backend's credential files), Idempotency-Key (the message id,
// stable across redeliveries), X-Delivery-Attempt (this attempt's 1-based number within the current
// delivery), X-Pubsub-Delivery-Attempt (Pub/Sub's delivery attempt, when the subscription supplies it),
// traceparent (when the message carries a well-formed W3C one), User-Agent.
//
// Sits between the subscriber and the HttpClient; the MessageDispatcher calls Build() once per attempt.
// Thread-safe (the config is copied; credential files are read under their own locks). The Clock must
// outlive the builder.
#ifndef SCHEDSVC_DISPATCH_BACKEND_REQUEST_H_
#define SCHEDSVC_DISPATCH_BACKEND_REQUEST_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"
#include "src/dispatch/auth_header_source.h"
#include "src/dispatch/http_client.h"
#include "src/dispatch/permanent_reason.h"

namespace schedsvc::dispatch {

// The parts of a received Pub/Sub message the request is built from.
struct InboundMessage {
  std::string message_id;
  std::string data;
  std::map<std::string, std::string> attributes;
  // Pub/Sub's delivery attempt (1-based); only set when the subscription has a dead-letter policy.
  absl::optional<int> delivery_attempt;
  absl::Time publish_time = absl::UnixEpoch();
};

// The `User-Agent` header value: "schedule-service/<project version>".
absl::string_view UserAgent();

// Returns OK if `path` may be appended to a backend URL: it starts with "/"; its path part (before the
// first '?') has no "//" and no "." or ".." segment; it holds only URL characters (no space, '#',
// backslash, control or non-ASCII character) and well-formed percent escapes. Escapes are decoded
// before the checks, so "%2e%2e", "%2F%2F" and "%5C" are caught too. A query ("?a=b") is allowed.
// Otherwise returns PermanentError(kInvalidPath) naming the problem.
absl::Status ValidatePath(absl::string_view path);

class BackendRequestBuilder {
 public:
  // `config.backends` must hold valid backends (the config loader checks them). Credential files are
  // not read until the first Build() for that backend; `recheck_interval` bounds how long a rotated
  // secret takes to be noticed.
  BackendRequestBuilder(const config::ServiceConfig& config, const Clock& clock,
                        absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);

  // Returns the name of the backend `message` routes to, or PermanentError(kUnknownBackend).
  absl::StatusOr<std::string> RouteOf(const InboundMessage& message) const;

  // Returns the request for attempt number `attempt` (1-based) of `message`. Errors:
  //   PermanentError(kUnknownBackend | kInvalidPath | kInvalidMethod | kInvalidContentType |
  //                  kBodyTooLarge)  — the message can never be delivered;
  //   kUnavailable / kFailedPrecondition from a credential file (retryable / an operator problem;
  //                  never the message's fault, never containing the secret).
  absl::StatusOr<HttpRequest> Build(const InboundMessage& message, int attempt) const;

  // Returns the backend config by name, or nullptr.
  const config::BackendConfig* FindBackend(absl::string_view name) const;

 private:
  struct Backend {
    config::BackendConfig config;
    std::unique_ptr<AuthHeaderSource> auth;  // null for AuthKind::kNone
  };

  std::string routing_attribute_;
  std::string default_backend_;
  absl::flat_hash_map<std::string, std::unique_ptr<Backend>> backends_;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_BACKEND_REQUEST_H_
