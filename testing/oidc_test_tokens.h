// Test helpers for OIDC token verification: RSA keys generated with OpenSSL, the JWKS that publishes them,
// and JWTs the test shapes freely (any header, any claims) and signs with RS256 or HS256, or leaves
// unsigned (`alg: none`). Real cryptography through OpenSSL, nothing of our own. Used by the push
// authenticator's unit tests and the push endpoint's integration tests. Thread-compatible.
#ifndef SCHEDSVC_TESTING_OIDC_TEST_TOKENS_H_
#define SCHEDSVC_TESTING_OIDC_TEST_TOKENS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include <openssl/types.h>

namespace schedsvc::testing {

// Size of the keys tests generate: the smallest the verifier accepts.
inline constexpr int kTestRsaKeyBits = 2048;

class RsaTestKey {
 public:
  // Returns a fresh RSA key pair with key id `kid`.
  static absl::StatusOr<RsaTestKey> Generate(std::string kid);

  const std::string& kid() const { return kid_; }
  // Returns the public key as a JWK: {"kty":"RSA","kid":…,"alg":"RS256","use":"sig","n":…,"e":…}.
  nlohmann::json Jwk() const;
  // Returns the public key as PEM (SubjectPublicKeyInfo), as a JWKS consumer would hand it to libjwt.
  std::string PublicKeyPem() const;
  // Returns base64url(header).base64url(payload).base64url(RS256 signature by this key); `header` is used
  // as given (the test sets alg, kid, typ).
  std::string Sign(const nlohmann::json& header, const nlohmann::json& payload) const;

 private:
  RsaTestKey(std::string kid, std::shared_ptr<EVP_PKEY> key) : kid_(std::move(kid)), key_(std::move(key)) {}
  std::string kid_;
  std::shared_ptr<EVP_PKEY> key_;
};

// Returns {"keys":[…]} with the JWK of each key.
std::string JwksJson(const std::vector<const RsaTestKey*>& keys);

// Returns `bytes` as unpadded base64url.
std::string Base64Url(absl::string_view bytes);

// Returns base64url(header).base64url(payload).base64url(HMAC-SHA256 over both with `secret`).
std::string SignHs256(absl::string_view secret, const nlohmann::json& header, const nlohmann::json& payload);

// Returns base64url(header).base64url(payload). (empty signature), the shape of an `alg: none` token.
std::string UnsignedToken(const nlohmann::json& header, const nlohmann::json& payload);

// Returns the claims Google puts in a Pub/Sub push token: iss https://accounts.google.com, `audience`,
// `email` with email_verified true, iat `issued_at`, exp an hour later, and sub/azp.
nlohmann::json PushTokenClaims(absl::string_view audience, absl::string_view email, absl::Time issued_at);

// Returns the header Google puts on such a token: {"alg":"RS256","kid":`kid`,"typ":"JWT"}.
nlohmann::json Rs256Header(absl::string_view kid);

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_OIDC_TEST_TOKENS_H_
