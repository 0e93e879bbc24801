// OidcPushAuthenticator: the PushAuthenticator for `push.auth.oidc`: verifies the OIDC token a Pub/Sub push
// subscription attaches to each request (Authorization: Bearer <JWT>, signed by Google for the
// subscription's service account) before the request is read further. Checks, in this order, each failure
// a status naming the check and never any part of the token:
//
//   1. a Bearer token is present                                  else kUnauthenticated (401)
//   2. it is a JWT of at most kMaxTokenBytes: three base64url parts, a JSON header and payload
//   3. the header's `alg` is exactly "RS256" and it names a `kid`: `none`, HS256 (a token "signed" with
//      the RSA public key as an HMAC secret) and every other alg are refused here, before libjwt sees the
//      token, because libjwt 1.10's jwt_decode verifies with whatever alg the token names
//   4. the kid's key is in the JWKS (JwksKeySource: an unknown kid triggers one rate-limited refetch)
//   5. the RS256 signature verifies (libjwt with the key as PEM; the alg libjwt used is checked again)
//   6. `iss` is https://accounts.google.com or accounts.google.com
//   7. `aud` equals push.auth.oidc.audience
//   8. `email` is in push.auth.oidc.service_accounts and `email_verified` is true
//   9. `exp` has not passed and `iat` is not in the future, each with kClockSkewLeeway
//
// Failures of 2-9 are kPermissionDenied (403). Keys that cannot be had (no JWKS ever fetched) are
// kUnavailable (503: Pub/Sub retries). Thread-safe; Check may block on a key fetch, so it is never called
// on an event-loop thread. The Clock (the wall clock: token times are wall times) must outlive the object.
#ifndef SCHEDSVC_PUSH_OIDC_PUSH_AUTHENTICATOR_H_
#define SCHEDSVC_PUSH_OIDC_PUSH_AUTHENTICATOR_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"
#include "src/push/jwks_key_source.h"
#include "src/push/push_authenticator.h"

namespace schedsvc::push {

// Tolerated difference between Google's clock and ours for `exp` and `iat`.
inline constexpr absl::Duration kClockSkewLeeway = absl::Seconds(60);
// Longest token accepted (Google's are about 1 KiB; libjwt decodes a token's parts on the stack).
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;

class OidcPushAuthenticator final : public PushAuthenticator {
 public:
  // `audience` and `service_accounts` as in config::PushOidcConfig; `keys` supplies the signing keys.
  OidcPushAuthenticator(std::string audience, const std::vector<std::string>& service_accounts,
                        std::unique_ptr<push_internal::JwksKeySource> keys, const Clock& wall_clock);

  absl::Status Check(absl::string_view authorization) override;

 private:
  const std::string audience_;
  const absl::flat_hash_set<std::string> service_accounts_;
  const std::unique_ptr<push_internal::JwksKeySource> keys_;
  const Clock& wall_clock_;
};

// Returns the authenticator for `config`: keys from config.jwks_file when set (read once now, so a missing
// or malformed file fails the start), else fetched from config.jwks_url when first needed.
// kInvalidArgument naming the key when the audience or the service accounts are empty or the URL is
// refused (JwksUrlFetcher::Make); the file's error when jwks_file cannot be read or parsed. `wall_clock`
// is kept (token times, key cache) and must outlive the authenticator.
absl::StatusOr<std::unique_ptr<PushAuthenticator>> MakeOidcPushAuthenticator(const config::PushOidcConfig& config,
                                                                             Clock& wall_clock);

}  // namespace schedsvc::push

#endif  // SCHEDSVC_PUSH_OIDC_PUSH_AUTHENTICATOR_H_
