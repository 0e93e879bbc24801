// Jwks: the parsing of a JSON Web Key Set (RFC 7517) into the RSA public keys OIDC token verification
// uses, keyed by key id (`kid`), each as a PEM SubjectPublicKeyInfo, the form libjwt verifies RS256 with.
// A JWK's modulus `n` and exponent `e` (base64url big-endian integers) become an OpenSSL EVP_PKEY
// (EVP_PKEY_fromdata) and then PEM (PEM_write_bio_PUBKEY): no cryptography of our own.
//
// Keys that cannot sign RS256 are skipped, not errors: another `kty` (EC), `use` other than "sig", or an
// `alg` other than RS256 (a key set may legitimately carry such keys). A key of ours that is malformed
// (bad base64url, a modulus under kMinRsaKeyBits, no kid, a kid seen twice) makes the whole set an error:
// a provider's key set is all well-formed, so a broken one is better refused than half used.
// Pure functions; thread-safe.
#ifndef SCHEDSVC_PUSH_JWKS_H_
#define SCHEDSVC_PUSH_JWKS_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::push_internal {

// Largest JWKS document read from a file or a URL (Google's is about 2 KiB).
inline constexpr std::size_t kMaxJwksBytes = 64 * 1024;
// Smallest RSA modulus accepted for a signing key (NIST SP 800-131A; Google's keys are 2048 bits).
inline constexpr int kMinRsaKeyBits = 2048;

// The usable keys of one JWKS document: PEM public key by key id.
using JwkSet = absl::flat_hash_map<std::string, std::string>;

// Returns the RS256 keys of the JWKS document `json`. kInvalidArgument naming `source` (a path or a
// redacted URL) and the problem when the document is not a JSON object with a `keys` array, a usable key
// is malformed, or no usable RS256 key is left.
absl::StatusOr<JwkSet> ParseJwks(absl::string_view json, absl::string_view source);

// Returns the PEM SubjectPublicKeyInfo of the RSA public key with modulus `n_base64url` and exponent
// `e_base64url` (unpadded base64url, as in a JWK). kInvalidArgument when either is not base64url, the
// modulus is shorter than kMinRsaKeyBits, or OpenSSL refuses the key.
absl::StatusOr<std::string> RsaPublicKeyPem(absl::string_view n_base64url, absl::string_view e_base64url);

// Decodes the unpadded base64url `text` (RFC 7515 §2) into `*out`. Returns false when `text` holds a
// character outside A-Z a-z 0-9 '-' '_' (no padding, no whitespace: one text has one reading) or has a
// length no encoding has.
bool DecodeBase64Url(absl::string_view text, std::string* out);

}  // namespace schedsvc::push_internal

#endif  // SCHEDSVC_PUSH_JWKS_H_
