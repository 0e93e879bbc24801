// PushAuthenticator: decides whether one Pub/Sub push request may be dispatched, from its Authorization
// header, before anything else is read. Implementations: OidcPushAuthenticator (verifies the OIDC token
// Pub/Sub signs for the push subscription's service account) and the explicit `push.auth: none`.
#ifndef SCHEDSVC_PUSH_PUSH_AUTHENTICATOR_H_
#define SCHEDSVC_PUSH_PUSH_AUTHENTICATOR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace schedsvc::push {

class PushAuthenticator {
 public:
  virtual ~PushAuthenticator() = default;

  // `authorization` is the request's Authorization header value, empty when absent. Returns OK when the
  // sender is allowed; kUnauthenticated when there is no bearer token (answer 401); kPermissionDenied
  // when a token fails any check (answer 403); kUnavailable when the signing keys cannot be had now
  // (answer 503: Pub/Sub retries). The status message says which check failed and never contains the
  // token or any part of it. Thread-safe; may block (a key fetch), never on an event-loop thread.
  virtual absl::Status Check(absl::string_view authorization) = 0;
};

}  // namespace schedsvc::push

#endif  // SCHEDSVC_PUSH_PUSH_AUTHENTICATOR_H_
