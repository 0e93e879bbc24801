#include "testing/oidc_test_tokens.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::testing {

namespace {

// Lifetime of the tokens PushTokenClaims describes (Google's push tokens live an hour).
constexpr absl::Duration kTokenLifetime = absl::Hours(1);
// The `sub` and `azp` of the tokens: the service account's numeric id, as Google writes it.
constexpr char kTestSubject[] = "112233445566778899000";

std::string BigNumParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || bn == nullptr) return "";
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

std::string SigningInput(const nlohmann::json& header, const nlohmann::json& payload) {
  return absl::StrCat(Base64Url(header.dump()), ".", Base64Url(payload.dump()));
}

}  // namespace

std::string Base64Url(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

absl::StatusOr<RsaTestKey> RsaTestKey::Generate(std::string kid) {
  EVP_PKEY* key = EVP_RSA_gen(kTestRsaKeyBits);
  if (key == nullptr) return absl::InternalError("EVP_RSA_gen failed");
  return RsaTestKey(std::move(kid), std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free));
}

nlohmann::json RsaTestKey::Jwk() const {
  return {{"kty", "RSA"},
          {"kid", kid_},
          {"alg", "RS256"},
          {"use", "sig"},
          {"n", Base64Url(BigNumParam(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
          {"e", Base64Url(BigNumParam(key_.get(), OSSL_PKEY_PARAM_RSA_E))}};
}

std::string RsaTestKey::PublicKeyPem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return "";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : "";
}

std::string RsaTestKey::Sign(const nlohmann::json& header, const nlohmann::json& payload) const {
  const std::string input = SigningInput(header, payload);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t size = 0;
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return "";
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return "";
  }
  signature.resize(size);
  return absl::StrCat(input, ".", Base64Url(signature));
}

std::string JwksJson(const std::vector<const RsaTestKey*>& keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const RsaTestKey* key : keys) list.push_back(key->Jwk());
  return nlohmann::json{{"keys", list}}.dump();
}

std::string SignHs256(absl::string_view secret, const nlohmann::json& header, const nlohmann::json& payload) {
  const std::string input = SigningInput(header, payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof(mac),
                &size) == nullptr) {
    return "";
  }
  return absl::StrCat(input, ".", Base64Url(absl::string_view(reinterpret_cast<const char*>(mac), size)));
}

std::string UnsignedToken(const nlohmann::json& header, const nlohmann::json& payload) {
  return absl::StrCat(SigningInput(header, payload), ".");
}

nlohmann::json PushTokenClaims(absl::string_view audience, absl::string_view email, absl::Time issued_at) {
  return {{"iss", "https://accounts.google.com"},
          {"aud", std::string(audience)},
          {"azp", kTestSubject},
          {"sub", kTestSubject},
          {"email", std::string(email)},
          {"email_verified", true},
          {"iat", absl::ToUnixSeconds(issued_at)},
          {"exp", absl::ToUnixSeconds(issued_at + kTokenLifetime)}};
}

nlohmann::json Rs256Header(absl::string_view kid) {
  return {{"alg", "RS256"}, {"kid", std::string(kid)}, {"typ", "JWT"}};
}

}  // namespace schedsvc::testing
