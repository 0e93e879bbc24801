#include "src/push/jwks.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/oidc_test_tokens.h"

namespace schedsvc::push_internal {
namespace {

using ::testing::HasSubstr;

constexpr char kSource[] = "/etc/jwks.json";
// Bytes of a 1024-bit modulus: half the test key's.
constexpr std::size_t kShortModulusBytes = 1024 / 8;

class JwksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate("key-1"));
    other_ = new testing::RsaTestKey(*testing::RsaTestKey::Generate("key-2"));
  }
  static void TearDownTestSuite() {
    delete key_;
    delete other_;
  }
  static testing::RsaTestKey* key_;
  static testing::RsaTestKey* other_;
};
testing::RsaTestKey* JwksTest::key_ = nullptr;
testing::RsaTestKey* JwksTest::other_ = nullptr;

std::string KeySet(const nlohmann::json& keys) { return nlohmann::json{{"keys", keys}}.dump(); }

TEST_F(JwksTest, EachRsaKeyBecomesThePemOfItsPublicKeyByKid) {
  absl::StatusOr<JwkSet> set = ParseJwks(testing::JwksJson({key_, other_}), kSource);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->at("key-1"), key_->PublicKeyPem());
  EXPECT_EQ(set->at("key-2"), other_->PublicKeyPem());
}

TEST_F(JwksTest, KeysThatCannotSignRs256AreSkipped) {
  nlohmann::json ec = {{"kty", "EC"}, {"kid", "ec"}, {"crv", "P-256"}, {"x", "AA"}, {"y", "AA"}};
  nlohmann::json enc = other_->Jwk();
  enc["use"] = "enc";
  nlohmann::json rs512 = other_->Jwk();
  rs512["alg"] = "RS512";
  rs512["kid"] = "rs512";
  nlohmann::json no_alg = key_->Jwk();
  no_alg.erase("alg");
  no_alg.erase("use");
  absl::StatusOr<JwkSet> set = ParseJwks(KeySet({ec, enc, rs512, no_alg}), kSource);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 1u);
  EXPECT_TRUE(set->contains("key-1"));
}

TEST_F(JwksTest, ADocumentWithoutUsableKeysIsRefusedNamingTheSource) {
  for (const std::string& doc : {std::string("not json"), std::string("[]"), std::string(R"({"keys": {}})"),
                                 std::string(R"({"keys": []})"), std::string(R"({"keys": [7]})")}) {
    absl::StatusOr<JwkSet> set = ParseJwks(doc, kSource);
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << doc;
    EXPECT_THAT(set.status().message(), HasSubstr(kSource)) << doc;
  }
}

TEST_F(JwksTest, AMalformedRsaKeyRefusesTheWholeSet) {
  nlohmann::json no_kid = key_->Jwk();
  no_kid.erase("kid");
  nlohmann::json bad_n = key_->Jwk();
  bad_n["n"] = "not+base64/url=";
  nlohmann::json padded_e = key_->Jwk();
  padded_e["e"] = padded_e["e"].get<std::string>() + "=";
  std::string modulus;
  ASSERT_TRUE(DecodeBase64Url(key_->Jwk()["n"].get<std::string>(), &modulus));
  nlohmann::json short_n = key_->Jwk();
  short_n["n"] = testing::Base64Url(modulus.substr(0, kShortModulusBytes));
  nlohmann::json even_e = key_->Jwk();
  even_e["e"] = testing::Base64Url(std::string("\x01\x00\x00", 3));  // 65536: even
  for (const nlohmann::json& bad : {no_kid, bad_n, padded_e, short_n, even_e}) {
    absl::StatusOr<JwkSet> set = ParseJwks(KeySet({other_->Jwk(), bad}), kSource);
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << bad.dump();
  }
  absl::StatusOr<JwkSet> twice = ParseJwks(KeySet({key_->Jwk(), key_->Jwk()}), kSource);
  EXPECT_THAT(twice.status().message(), HasSubstr("repeats the kid"));
}

TEST(DecodeBase64UrlTest, AcceptsOnlyUnpaddedBase64Url) {
  std::string out;
  EXPECT_TRUE(DecodeBase64Url("aGk", &out));
  EXPECT_EQ(out, "hi");
  EXPECT_TRUE(DecodeBase64Url("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(DecodeBase64Url("aGk=", &out));   // padding
  EXPECT_FALSE(DecodeBase64Url("+/8", &out));    // standard alphabet
  EXPECT_FALSE(DecodeBase64Url("aG k", &out));   // whitespace
  EXPECT_FALSE(DecodeBase64Url("aGkhb", &out));  // a length no encoding has
}

}  // namespace
}  // namespace schedsvc::push_internal
