#include "src/push/oidc_push_authenticator.h"

#include <jwt.h>

#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/push/jwks.h"
#include "src/push/jwks_file_fetcher.h"
#include "src/push/jwks_url_fetcher.h"

namespace schedsvc::push {

namespace {

constexpr absl::string_view kBearerScheme = "bearer";
constexpr absl::string_view kRequiredAlg = "RS256";
constexpr absl::string_view kGoogleIssuers[] = {"https://accounts.google.com", "accounts.google.com"};

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

absl::Status Refused(absl::string_view check) { return absl::PermissionDeniedError(check); }

// The JSON object a base64url token part encodes, or a discarded value.
nlohmann::json DecodeJsonPart(absl::string_view part) {
  std::string text;
  if (part.empty() || !push_internal::DecodeBase64Url(part, &text)) return nlohmann::json(nlohmann::json::value_t::discarded);
  nlohmann::json value = nlohmann::json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return value;
}

const nlohmann::json* Member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// A NumericDate claim (RFC 7519: seconds since the epoch, maybe fractional) as a time, or false.
bool TimeClaim(const nlohmann::json& claims, const char* name, absl::Time* out) {
  const nlohmann::json* value = Member(claims, name);
  if (value == nullptr || !value->is_number()) return false;
  *out = absl::UnixEpoch() + absl::Seconds(value->get<double>());
  return true;
}

}  // namespace

OidcPushAuthenticator::OidcPushAuthenticator(std::string audience, const std::vector<std::string>& service_accounts,
                                             std::unique_ptr<push_internal::JwksKeySource> keys,
                                             const Clock& wall_clock)
    : audience_(std::move(audience)),
      service_accounts_(service_accounts.begin(), service_accounts.end()),
      keys_(std::move(keys)),
      wall_clock_(wall_clock) {}

absl::Status OidcPushAuthenticator::Check(absl::string_view authorization) {
  // 1. A bearer token (RFC 6750 §2.1; the scheme is case-insensitive, RFC 7235 §2.1).
  const absl::string_view header = absl::StripAsciiWhitespace(authorization);
  const std::size_t space = header.find(' ');
  if (space == absl::string_view::npos || !absl::EqualsIgnoreCase(header.substr(0, space), kBearerScheme)) {
    return absl::UnauthenticatedError("no bearer token in the Authorization header");
  }
  const absl::string_view token = absl::StripLeadingAsciiWhitespace(header.substr(space + 1));
  if (token.empty()) return absl::UnauthenticatedError("no bearer token in the Authorization header");

  // 2. Shape: header.payload.signature, each base64url, header and payload JSON objects.
  if (token.size() > kMaxTokenBytes) {
    return Refused(absl::StrCat("token is larger than ", kMaxTokenBytes, " bytes"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Refused("token is not a JWT (three dot-separated parts)");
  const nlohmann::json jose = DecodeJsonPart(parts[0]);
  if (jose.is_discarded()) return Refused("token header is not base64url JSON");

  // 3. The algorithm, before any signature library sees the token.
  const nlohmann::json* alg = Member(jose, "alg");
  if (alg == nullptr || !alg->is_string() || alg->get<std::string>() != kRequiredAlg) {
    return Refused("token header alg is not RS256");
  }
  const nlohmann::json* typ = Member(jose, "typ");
  if (typ != nullptr && (!typ->is_string() || !absl::EqualsIgnoreCase(typ->get<std::string>(), "JWT"))) {
    return Refused("token header typ is not JWT");
  }
  const nlohmann::json* kid = Member(jose, "kid");
  if (kid == nullptr || !kid->is_string() || kid->get<std::string>().empty()) {
    return Refused("token header has no kid");
  }
  const nlohmann::json claims = DecodeJsonPart(parts[1]);
  if (claims.is_discarded()) return Refused("token payload is not base64url JSON");
  if (parts[2].empty()) return Refused("token has no signature");

  // 4. The key.
  absl::StatusOr<std::string> pem = keys_->KeyPem(kid->get<std::string>());
  if (!pem.ok()) {
    if (pem.status().code() == absl::StatusCode::kNotFound) {
      return Refused(absl::StrCat("token kid is not in the JWKS from ", keys_->source()));
    }
    return absl::UnavailableError(pem.status().message());
  }

  // 5. The signature, by libjwt with the alg we checked; and the alg libjwt says it used.
  const std::string token_text(token);  // jwt_decode needs a NUL-terminated string
  jwt_t* raw_jwt = nullptr;
  const int decoded = jwt_decode(&raw_jwt, token_text.c_str(), reinterpret_cast<const unsigned char*>(pem->data()),
                                 static_cast<int>(pem->size()));
  std::unique_ptr<jwt_t, JwtFree> jwt(raw_jwt);
  if (decoded != 0 || jwt == nullptr) return Refused("token signature does not verify with the JWKS key");
  if (jwt_get_alg(jwt.get()) != JWT_ALG_RS256) return Refused("token was not verified as RS256");

  // 6.-9. The claims, from the payload whose signature just verified.
  const nlohmann::json* iss = Member(claims, "iss");
  bool google = false;
  if (iss != nullptr && iss->is_string()) {
    for (absl::string_view issuer : kGoogleIssuers) google = google || iss->get<std::string>() == issuer;
  }
  if (!google) return Refused("token issuer is not https://accounts.google.com");
  const nlohmann::json* aud = Member(claims, "aud");
  if (aud == nullptr || !aud->is_string() || aud->get<std::string>() != audience_) {
    return Refused("token audience does not match push.auth.oidc.audience");
  }
  const nlohmann::json* email = Member(claims, "email");
  if (email == nullptr || !email->is_string() || !service_accounts_.contains(email->get<std::string>())) {
    return Refused("token email is not in push.auth.oidc.service_accounts");
  }
  const nlohmann::json* verified = Member(claims, "email_verified");
  if (verified == nullptr || !verified->is_boolean() || !verified->get<bool>()) {
    return Refused("token email_verified is not true");
  }
  absl::Time expires;
  absl::Time issued;
  if (!TimeClaim(claims, "exp", &expires)) return Refused("token has no numeric exp");
  if (!TimeClaim(claims, "iat", &issued)) return Refused("token has no numeric iat");
  const absl::Time now = wall_clock_.Now();
  if (now > expires + kClockSkewLeeway) {
    return Refused(absl::StrCat("token has expired (exp, with ", absl::FormatDuration(kClockSkewLeeway),
                                " leeway)"));
  }
  if (issued > now + kClockSkewLeeway) {
    return Refused(absl::StrCat("token is issued in the future (iat, with ", absl::FormatDuration(kClockSkewLeeway),
                                " leeway)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PushAuthenticator>> MakeOidcPushAuthenticator(const config::PushOidcConfig& config,
                                                                             Clock& wall_clock) {
  if (config.audience.empty()) return absl::InvalidArgumentError("push.auth.oidc.audience is required");
  if (config.service_accounts.empty()) {
    return absl::InvalidArgumentError("push.auth.oidc.service_accounts needs at least one e-mail");
  }
  std::unique_ptr<push_internal::JwksKeySource> keys;
  if (!config.jwks_file.empty()) {
    push_internal::JwksKeySourceOptions options;
    options.default_max_age = push_internal::kJwksFileRecheckInterval;
    options.min_refetch_interval = push_internal::kJwksFileRecheckInterval;
    keys = std::make_unique<push_internal::JwksKeySource>(
        std::make_unique<push_internal::JwksFileFetcher>(config.jwks_file), wall_clock, options);
    if (absl::Status loaded = keys->Refresh(); !loaded.ok()) {
      return absl::Status(loaded.code(), absl::StrCat("push.auth.oidc.jwks_file: ", loaded.message()));
    }
  } else {
    absl::StatusOr<std::unique_ptr<push_internal::JwksUrlFetcher>> fetcher =
        push_internal::JwksUrlFetcher::Make(config.jwks_url);
    if (!fetcher.ok()) return fetcher.status();
    keys = std::make_unique<push_internal::JwksKeySource>(*std::move(fetcher), wall_clock);
  }
  return std::unique_ptr<PushAuthenticator>(
      std::make_unique<OidcPushAuthenticator>(config.audience, config.service_accounts, std::move(keys), wall_clock));
}

}  // namespace schedsvc::push
