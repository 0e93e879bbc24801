// BackendRequestBuilder: turns one Pub/Sub message into the HTTP request for its backend, exactly as
// DESIGN §2 says. The message was routed to the backend before (by attribute: backend_router.h); the
// attributes `path`, `method` and `content_type` shape the request; the message data is the body. A message can only reach a backend named in the config: the URL is the
// backend's configured base URL plus a validated path, so no attribute can change scheme, host or port.
//
// Headers sent, in this order: the backend's static `headers` (except names this builder sets),
// Content-Type, Authorization (from the backend's credential files), Idempotency-Key (the message id,
// stable across redeliveries), X-Delivery-Attempt (this attempt's 1-based number within the current
// delivery), X-Pubsub-Delivery-Attempt (Pub/Sub's delivery attempt, when the subscription supplies it),
// traceparent (when the message carries a well-formed W3C one), User-Agent.
//
// One BackendRequestBuilder per configured backend, owned by its Backend (backend.h), which routing
// (backend_router.h) has already chosen; the MessageDispatcher calls Build() once per attempt. Sits
// between the subscriber and the HttpClient.
// Thread-safe (the config is read only; credential files are read under their own locks). The config
// and the Clock must outlive the builder.
#ifndef SCHEDSVC_DISPATCH_BACKEND_REQUEST_H_
#define SCHEDSVC_DISPATCH_BACKEND_REQUEST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"
#include "src/dispatch/auth_header_source.h"
#include "src/dispatch/http_client.h"
#include "src/dispatch/permanent_reason.h"
#include "src/pubsub/message.h"

namespace schedsvc::dispatch {

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
  // `config` must be a valid backend (the config loader checks it) and outlive the builder. Credential
  // files are not read until the first Build(); `recheck_interval` bounds how long a rotated secret
  // takes to be noticed.
  BackendRequestBuilder(const config::BackendConfig& config, const Clock& clock,
                        absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);
  BackendRequestBuilder(const BackendRequestBuilder&) = delete;
  BackendRequestBuilder& operator=(const BackendRequestBuilder&) = delete;

  // Returns the request for attempt number `attempt` (1-based) of `message`, which routes to this
  // backend. Errors:
  //   PermanentError(kInvalidPath | kInvalidMethod | kInvalidContentType | kBodyTooLarge) — the message
  //                  can never be delivered;
  //   kUnavailable / kFailedPrecondition from a credential file (retryable / an operator problem;
  //                  never the message's fault, never containing the secret).
  absl::StatusOr<HttpRequest> Build(const pubsub::Message& message, int attempt) const;

 private:
  const config::BackendConfig& config_;
  const std::unique_ptr<AuthHeaderSource> auth_;  // null for AuthKind::kNone
  // The config's static headers without the names this builder sets, in config order: chosen once.
  const HttpHeaders static_headers_;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_BACKEND_REQUEST_H_
