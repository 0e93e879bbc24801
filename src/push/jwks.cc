#include "src/push/jwks.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::push_internal {

namespace {

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

bool IsBase64UrlChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// A string member of `key`, or empty when absent or not a string.
std::string StringMember(const nlohmann::json& key, const char* name) {
  const auto it = key.find(name);
  if (it == key.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

bool DecodeBase64Url(absl::string_view text, std::string* out) {
  // A length of 1 modulo 4 cannot come from any byte string.
  if (text.size() % 4 == 1) return false;
  for (char c : text) {
    if (!IsBase64UrlChar(c)) return false;
  }
  return absl::WebSafeBase64Unescape(text, out);
}

absl::StatusOr<std::string> RsaPublicKeyPem(absl::string_view n_base64url, absl::string_view e_base64url) {
  std::string n_bytes;
  std::string e_bytes;
  if (n_base64url.empty() || !DecodeBase64Url(n_base64url, &n_bytes)) {
    return absl::InvalidArgumentError("RSA modulus n is not unpadded base64url");
  }
  if (e_base64url.empty() || !DecodeBase64Url(e_base64url, &e_bytes)) {
    return absl::InvalidArgumentError("RSA exponent e is not unpadded base64url");
  }
  std::unique_ptr<BIGNUM, BnFree> n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()), static_cast<int>(n_bytes.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()), static_cast<int>(e_bytes.size()), nullptr));
  if (n == nullptr || e == nullptr) return absl::InternalError("OpenSSL BN_bin2bn failed");
  if (BN_num_bits(n.get()) < kMinRsaKeyBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus has ", BN_num_bits(n.get()), " bits, fewer than ", kMinRsaKeyBits));
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return absl::InternalError("OpenSSL OSSL_PARAM_BLD failed");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return absl::InternalError("OpenSSL EVP_PKEY_fromdata_init failed");
  }
  EVP_PKEY* raw_key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return absl::InvalidArgumentError("OpenSSL refuses the RSA public key (n, e)");
  }
  std::unique_ptr<EVP_PKEY, PkeyFree> key(raw_key);
  // Refuses an even or tiny exponent and the like, which the import above does not look at.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError("RSA public key fails OpenSSL's public key check");
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return absl::InternalError("OpenSSL PEM_write_bio_PUBKEY failed");
  }
  char* pem_data = nullptr;
  const long pem_size = BIO_get_mem_data(bio.get(), &pem_data);
  if (pem_size <= 0 || pem_data == nullptr) return absl::InternalError("OpenSSL wrote an empty PEM");
  return std::string(pem_data, static_cast<std::size_t>(pem_size));
}

absl::StatusOr<JwkSet> ParseJwks(absl::string_view json, absl::string_view source) {
  const nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), /*cb=*/nullptr,
                                                   /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS from ", source, " is not a JSON object"));
  }
  const auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS from ", source, " has no \"keys\" array"));
  }
  JwkSet set;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const nlohmann::json& key = (*keys)[i];
    if (!key.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("JWKS from ", source, ": keys[", i, "] is not an object"));
    }
    if (StringMember(key, "kty") != "RSA") continue;
    if (key.contains("use") && StringMember(key, "use") != "sig") continue;
    if (key.contains("alg") && StringMember(key, "alg") != "RS256") continue;
    const std::string kid = StringMember(key, "kid");
    if (kid.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("JWKS from ", source, ": keys[", i, "] has no kid"));
    }
    absl::StatusOr<std::string> pem = RsaPublicKeyPem(StringMember(key, "n"), StringMember(key, "e"));
    if (!pem.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS from ", source, ": keys[", i, "]: ", pem.status().message()));
    }
    if (!set.emplace(kid, *std::move(pem)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS from ", source, ": keys[", i, "] repeats the kid of an earlier key"));
    }
  }
  if (set.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS from ", source, " has no RSA key usable for RS256"));
  }
  return set;
}

}  // namespace schedsvc::push_internal
