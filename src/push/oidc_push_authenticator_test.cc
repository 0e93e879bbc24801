#include "src/push/oidc_push_authenticator.h"

#include <jwt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "testing/fake_clock.h"
#include "src/push/jwks_file_fetcher.h"
#include "testing/fake_jwks_fetcher.h"
#include "testing/oidc_test_tokens.h"

namespace schedsvc::push {
namespace {

using ::testing::HasSubstr;

constexpr char kAudience[] = "https://push.example.com/pubsub/push";
constexpr char kPusher[] = "pusher@project.iam.gserviceaccount.com";
constexpr char kStranger[] = "stranger@other.iam.gserviceaccount.com";
constexpr char kKid[] = "key-1";
constexpr char kRotatedKid[] = "key-2";
constexpr char kUnknownKid[] = "key-0";
// A message quoting this many consecutive characters of the token counts as leaking it.
constexpr std::size_t kLeakWindow = 8;
constexpr absl::Duration kSecond = absl::Seconds(1);
constexpr absl::Duration kLongAgo = absl::Hours(2);

// Expects `status` to be `code` naming `check`, with no part of `token` in its message.
void ExpectRefused(const absl::Status& status, absl::StatusCode code, absl::string_view check,
                   absl::string_view token) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(status.message(), HasSubstr(check));
  for (absl::string_view part : absl::StrSplit(token, '.')) {
    for (std::size_t i = 0; i + kLeakWindow <= part.size(); ++i) {
      ASSERT_THAT(status.message(), ::testing::Not(HasSubstr(part.substr(i, kLeakWindow))))
          << "the message quotes the token";
    }
  }
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr(kPusher)));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr(kKid)));
}

std::string Bearer(absl::string_view token) { return absl::StrCat("Bearer ", token); }

class OidcPushAuthenticatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate(kKid));
    rotated_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate(kRotatedKid));
  }
  static void TearDownTestSuite() {
    delete key_;
    delete rotated_;
  }

  OidcPushAuthenticatorTest() {
    char name[] = "/tmp/oidc_push_authenticator_test_XXXXXX";
    dir_ok_ = ::mkdtemp(name) != nullptr;
    dir_ = name;
    jwks_path_ = dir_ + "/jwks.json";
    WriteJwks(testing::JwksJson({key_}));
    config_.audience = kAudience;
    config_.service_accounts = {kPusher};
    config_.jwks_file = jwks_path_;
  }
  ~OidcPushAuthenticatorTest() override {
    std::remove(jwks_path_.c_str());
    std::remove((jwks_path_ + ".new").c_str());
    ::rmdir(dir_.c_str());
  }
  // Replaces the JWKS file atomically (a new inode), as a ConfigMap update does.
  void WriteJwks(const std::string& json) {
    std::ofstream(jwks_path_ + ".new", std::ios::trunc) << json;
    std::rename((jwks_path_ + ".new").c_str(), jwks_path_.c_str());
  }
  PushAuthenticator& Authenticator() {
    if (authenticator_ == nullptr) {
      absl::StatusOr<std::unique_ptr<PushAuthenticator>> made = MakeOidcPushAuthenticator(config_, clock_);
      EXPECT_TRUE(made.ok()) << made.status();
      if (made.ok()) authenticator_ = *std::move(made);
    }
    return *authenticator_;
  }
  nlohmann::json Claims() const { return testing::PushTokenClaims(kAudience, kPusher, clock_.Now()); }
  std::string Token(const nlohmann::json& claims) const { return key_->Sign(testing::Rs256Header(kKid), claims); }
  absl::Status CheckToken(absl::string_view token) { return Authenticator().Check(Bearer(token)); }

  static testing::RsaTestKey* key_;
  static testing::RsaTestKey* rotated_;
  bool dir_ok_ = false;
  std::string dir_;
  std::string jwks_path_;
  config::PushOidcConfig config_;
  testing::FakeClock clock_;
  std::unique_ptr<PushAuthenticator> authenticator_;
};
testing::RsaTestKey* OidcPushAuthenticatorTest::key_ = nullptr;
testing::RsaTestKey* OidcPushAuthenticatorTest::rotated_ = nullptr;

TEST_F(OidcPushAuthenticatorTest, AValidTokenPasses) {
  ASSERT_TRUE(dir_ok_);
  EXPECT_TRUE(CheckToken(Token(Claims())).ok());
  // The scheme is case-insensitive; Google also writes the issuer without its scheme.
  EXPECT_TRUE(Authenticator().Check(absl::StrCat("bearer ", Token(Claims()))).ok());
  nlohmann::json bare_issuer = Claims();
  bare_issuer["iss"] = "accounts.google.com";
  EXPECT_TRUE(CheckToken(Token(bare_issuer)).ok());
}

TEST_F(OidcPushAuthenticatorTest, NoBearerTokenIsUnauthenticated) {
  ASSERT_TRUE(dir_ok_);
  const std::string token = Token(Claims());
  for (const std::string& header : {std::string(), std::string("Bearer"), std::string("Bearer   "),
                                    std::string("Basic dXNlcjpwYXNzd29yZA=="), token, absl::StrCat("Token ", token)}) {
    ExpectRefused(Authenticator().Check(header), absl::StatusCode::kUnauthenticated, "no bearer token", token);
  }
}

TEST_F(OidcPushAuthenticatorTest, MalformedTokensAreRefused) {
  ASSERT_TRUE(dir_ok_);
  const std::string valid = Token(Claims());
  const std::vector<absl::string_view> parts = absl::StrSplit(valid, '.');
  const std::string not_json = testing::Base64Url("not json");
  const std::string array = testing::Base64Url("[1, 2]");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "not a JWT"},
      {absl::StrCat(parts[0], ".", parts[1]), "not a JWT"},
      {absl::StrCat(valid, ".", parts[2]), "not a JWT"},
      {absl::StrCat("!!", parts[0], ".", parts[1], ".", parts[2]), "header is not base64url JSON"},
      {absl::StrCat(not_json, ".", parts[1], ".", parts[2]), "header is not base64url JSON"},
      {absl::StrCat(array, ".", parts[1], ".", parts[2]), "header is not base64url JSON"},
      {absl::StrCat(parts[0], ".", not_json, ".", parts[2]), "payload is not base64url JSON"},
      {absl::StrCat(parts[0], ".", parts[1], "=.", parts[2]), "payload is not base64url JSON"},
      {absl::StrCat(parts[0], ".", parts[1], "."), "no signature"},
      {absl::StrCat(parts[0], ".", parts[1], ".", std::string(kMaxTokenBytes, 'A')), "larger than"},
  };
  for (const auto& [token, check] : cases) {
    ExpectRefused(CheckToken(token), absl::StatusCode::kPermissionDenied, check, token);
  }
}

TEST_F(OidcPushAuthenticatorTest, AlgNoneIsRefusedBeforeAnySignatureCheck) {
  ASSERT_TRUE(dir_ok_);
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string token = testing::UnsignedToken({{"alg", alg}, {"kid", kKid}, {"typ", "JWT"}}, Claims());
    ExpectRefused(CheckToken(token), absl::StatusCode::kPermissionDenied, "alg is not RS256", token);
  }
}

TEST_F(OidcPushAuthenticatorTest, Hs256SignedWithThePublicKeyTextIsRefused) {
  ASSERT_TRUE(dir_ok_);
  // The alg-confusion attack: the RSA public key is public, so anyone can "sign" HS256 with its PEM text
  // as the HMAC secret; a verifier that lets the token pick the alg accepts it.
  const std::string token =
      testing::SignHs256(key_->PublicKeyPem(), {{"alg", "HS256"}, {"kid", kKid}, {"typ", "JWT"}}, Claims());
  ExpectRefused(CheckToken(token), absl::StatusCode::kPermissionDenied, "alg is not RS256", token);
}

TEST_F(OidcPushAuthenticatorTest, LibjwtAloneWouldAcceptTheAlgConfusionToken) {
  // Why the alg is checked before libjwt: given the PEM key, jwt_decode verifies with the token's alg.
  const std::string pem = key_->PublicKeyPem();
  const std::string token =
      testing::SignHs256(pem, {{"alg", "HS256"}, {"kid", kKid}, {"typ", "JWT"}}, Claims());
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(pem.data()),
                       static_cast<int>(pem.size())),
            0);
  jwt_free(jwt);
}

TEST_F(OidcPushAuthenticatorTest, AnyAlgButExactlyRs256IsRefused) {
  ASSERT_TRUE(dir_ok_);
  for (const char* alg : {"rs256", "RS384", "RS512", "ES256", "PS256"}) {
    const std::string token = key_->Sign({{"alg", alg}, {"kid", kKid}, {"typ", "JWT"}}, Claims());
    ExpectRefused(CheckToken(token), absl::StatusCode::kPermissionDenied, "alg is not RS256", token);
  }
  const std::string no_alg = key_->Sign({{"kid", kKid}, {"typ", "JWT"}}, Claims());
  ExpectRefused(CheckToken(no_alg), absl::StatusCode::kPermissionDenied, "alg is not RS256", no_alg);
}

TEST_F(OidcPushAuthenticatorTest, AHeaderWithoutKidOrWithAnotherTypIsRefused) {
  ASSERT_TRUE(dir_ok_);
  const std::string no_kid = key_->Sign({{"alg", "RS256"}, {"typ", "JWT"}}, Claims());
  ExpectRefused(CheckToken(no_kid), absl::StatusCode::kPermissionDenied, "no kid", no_kid);
  const std::string typ = key_->Sign({{"alg", "RS256"}, {"kid", kKid}, {"typ", "JWE"}}, Claims());
  ExpectRefused(CheckToken(typ), absl::StatusCode::kPermissionDenied, "typ is not JWT", typ);
}

TEST_F(OidcPushAuthenticatorTest, ASignatureByAnotherKeyOrOverOtherClaimsIsRefused) {
  ASSERT_TRUE(dir_ok_);
  const std::string forged = rotated_->Sign(testing::Rs256Header(kKid), Claims());
  ExpectRefused(CheckToken(forged), absl::StatusCode::kPermissionDenied, "signature does not verify", forged);
  // A valid token's signature on a payload naming another sender.
  const std::string valid = Token(Claims());
  const std::vector<absl::string_view> parts = absl::StrSplit(valid, '.');
  nlohmann::json stranger = Claims();
  stranger["email"] = kStranger;
  const std::string signed_for_stranger = Token(stranger);
  const std::vector<absl::string_view> other = absl::StrSplit(signed_for_stranger, '.');
  const std::string spliced = absl::StrCat(parts[0], ".", other[1], ".", parts[2]);
  ExpectRefused(CheckToken(spliced), absl::StatusCode::kPermissionDenied, "signature does not verify", spliced);
}

TEST_F(OidcPushAuthenticatorTest, EachClaimIsChecked) {
  ASSERT_TRUE(dir_ok_);
  struct Case {
    const char* claim;
    nlohmann::json value;  // null: the claim is removed
    const char* check;
  };
  const std::vector<Case> cases = {
      {"iss", "https://evil.example.com", "issuer"},
      {"iss", nullptr, "issuer"},
      {"aud", "https://other.example.com/push", "audience does not match push.auth.oidc.audience"},
      {"aud", nlohmann::json::array({kAudience}), "audience does not match push.auth.oidc.audience"},
      {"aud", nullptr, "audience"},
      {"email", kStranger, "email is not in push.auth.oidc.service_accounts"},
      {"email", nullptr, "email is not in push.auth.oidc.service_accounts"},
      {"email_verified", false, "email_verified is not true"},
      {"email_verified", "true", "email_verified is not true"},
      {"email_verified", nullptr, "email_verified is not true"},
      {"exp", nullptr, "no numeric exp"},
      {"exp", "tomorrow", "no numeric exp"},
      {"iat", nullptr, "no numeric iat"},
  };
  for (const Case& c : cases) {
    nlohmann::json claims = Claims();
    if (c.value.is_null()) {
      claims.erase(c.claim);
    } else {
      claims[c.claim] = c.value;
    }
    const std::string token = Token(claims);
    SCOPED_TRACE(claims.dump());
    ExpectRefused(CheckToken(token), absl::StatusCode::kPermissionDenied, c.check, token);
  }
}

TEST_F(OidcPushAuthenticatorTest, ExpiryAndIssueTimeAllowTheLeewayAndNoMore) {
  ASSERT_TRUE(dir_ok_);
  const std::int64_t now = absl::ToUnixSeconds(clock_.Now());
  const std::int64_t leeway = absl::ToInt64Seconds(kClockSkewLeeway);
  const std::int64_t second = absl::ToInt64Seconds(kSecond);
  const std::int64_t long_ago = absl::ToInt64Seconds(kLongAgo);
  auto with_times = [&](std::int64_t iat, std::int64_t exp) {
    nlohmann::json claims = Claims();
    claims["iat"] = iat;
    claims["exp"] = exp;
    return Token(claims);
  };
  EXPECT_TRUE(CheckToken(with_times(now - long_ago, now - leeway)).ok());
  const std::string expired = with_times(now - long_ago, now - leeway - second);
  ExpectRefused(CheckToken(expired), absl::StatusCode::kPermissionDenied, "expired", expired);
  EXPECT_TRUE(CheckToken(with_times(now + leeway, now + long_ago)).ok());
  const std::string future = with_times(now + leeway + second, now + long_ago);
  ExpectRefused(CheckToken(future), absl::StatusCode::kPermissionDenied, "issued in the future", future);
}

TEST_F(OidcPushAuthenticatorTest, AnUnknownKidIsRefusedAndARotatedKeyAcceptedOnceTheFileHasIt) {
  ASSERT_TRUE(dir_ok_);
  ASSERT_TRUE(CheckToken(Token(Claims())).ok());
  const std::string unknown = key_->Sign(testing::Rs256Header(kUnknownKid), Claims());
  ExpectRefused(CheckToken(unknown), absl::StatusCode::kPermissionDenied, "kid is not in the JWKS", unknown);
  WriteJwks(testing::JwksJson({key_, rotated_}));
  clock_.AdvanceTime(push_internal::kJwksFileRecheckInterval);
  EXPECT_TRUE(CheckToken(rotated_->Sign(testing::Rs256Header(kRotatedKid), Claims())).ok());
}

TEST_F(OidcPushAuthenticatorTest, TheFactoryRefusesAnIncompleteConfigNamingTheKey) {
  ASSERT_TRUE(dir_ok_);
  config::PushOidcConfig no_audience = config_;
  no_audience.audience.clear();
  EXPECT_THAT(MakeOidcPushAuthenticator(no_audience, clock_).status().message(),
              HasSubstr("push.auth.oidc.audience"));
  config::PushOidcConfig no_accounts = config_;
  no_accounts.service_accounts.clear();
  EXPECT_THAT(MakeOidcPushAuthenticator(no_accounts, clock_).status().message(),
              HasSubstr("push.auth.oidc.service_accounts"));
  config::PushOidcConfig missing_file = config_;
  missing_file.jwks_file = dir_ + "/absent.json";
  EXPECT_THAT(MakeOidcPushAuthenticator(missing_file, clock_).status().message(),
              HasSubstr(missing_file.jwks_file));
  config::PushOidcConfig plain_http = config_;
  plain_http.jwks_file.clear();
  plain_http.jwks_url = "http://keys.example.com/certs";
  EXPECT_EQ(MakeOidcPushAuthenticator(plain_http, clock_).status().code(), absl::StatusCode::kInvalidArgument);
  config::PushOidcConfig google = config_;
  google.jwks_file.clear();
  EXPECT_TRUE(MakeOidcPushAuthenticator(google, clock_).ok());  // fetches nothing until a token comes
}

// With the key source's own fetcher faked: fetches are counted, and the keys can be made unobtainable.
class OidcPushAuthenticatorFetchTest : public OidcPushAuthenticatorTest {
 protected:
  OidcPushAuthenticator& Direct() {
    if (direct_ == nullptr) {
      direct_ = std::make_unique<OidcPushAuthenticator>(
          kAudience, std::vector<std::string>{kPusher},
          std::make_unique<push_internal::JwksKeySource>(std::make_unique<testing::FakeJwksFetcher>(endpoint_),
                                                         clock_),
          clock_);
    }
    return *direct_;
  }
  testing::FakeJwksEndpoint endpoint_;
  std::unique_ptr<OidcPushAuthenticator> direct_;
};

TEST_F(OidcPushAuthenticatorFetchTest, KeysThatCannotBeHadAreUnavailable) {
  endpoint_.Fail(absl::UnavailableError("connection refused"));
  const std::string token = Token(Claims());
  ExpectRefused(Direct().Check(Bearer(token)), absl::StatusCode::kUnavailable, "connection refused", token);
}

TEST_F(OidcPushAuthenticatorFetchTest, AnUnknownKidCostsOneRefetchThenIsRefusedFromTheCache) {
  endpoint_.Serve(testing::JwksJson({key_}));
  ASSERT_TRUE(Direct().Check(Bearer(Token(Claims()))).ok());
  clock_.AdvanceTime(push_internal::kMinRefetchInterval);
  const std::string unknown = key_->Sign(testing::Rs256Header(kUnknownKid), Claims());
  ExpectRefused(Direct().Check(Bearer(unknown)), absl::StatusCode::kPermissionDenied, "kid", unknown);
  EXPECT_EQ(endpoint_.fetches(), 2);
  ExpectRefused(Direct().Check(Bearer(unknown)), absl::StatusCode::kPermissionDenied, "kid", unknown);
  EXPECT_EQ(endpoint_.fetches(), 2);
}

}  // namespace
}  // namespace schedsvc::push
