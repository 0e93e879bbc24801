#include "src/common/credential_redaction.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace schedsvc {
namespace {

constexpr char kHidden[] = "<redacted>";

std::string Redact(absl::string_view text) { return RedactCredentialsInText(text, kHidden); }

TEST(RedactCredentialsInTextTest, LeavesTextWithoutCredentialsAlone) {
  for (const char* text : {"", "/jobs/x", "/jobs/x?page=2&sort=asc#top", "https://api.example.com:8443/jobs?id=7",
                           "mail alice@example.com", "monkey=1&keyboard=2&hotkey=3", "a = b; c", "token",
                           "?token", "token?=x"}) {
    EXPECT_EQ(Redact(text), text);
  }
}

TEST(RedactCredentialsInTextTest, HidesUrlUserInfoInEveryWord) {
  EXPECT_EQ(Redact("https://u:pw@host/x"), "https://***@host/x");
  EXPECT_EQ(Redact("call https://u:pw@a.example/x then ftp://v:pw2@b.example"),
            "call https://***@a.example/x then ftp://***@b.example");
  EXPECT_EQ(Redact("\thttps://u:p/w@host\n"), "\thttps://***@host\n");
}

TEST(RedactCredentialsInTextTest, HidesCredentialParameterValues) {
  EXPECT_EQ(Redact("/hook?token=abc&x=1"), "/hook?token=<redacted>&x=1");
  EXPECT_EQ(Redact("/o?Access_Token=a;X-Amz-Signature=b#frag"),
            "/o?Access_Token=<redacted>;X-Amz-Signature=<redacted>#frag");
  EXPECT_EQ(Redact("key=abc"), "key=<redacted>");
  EXPECT_EQ(Redact("x?sig=1&pwd=2&auth=3&client_secret=4&apiKey=5"),
            "x?sig=<redacted>&pwd=<redacted>&auth=<redacted>&client_secret=<redacted>&apiKey=<redacted>");
  EXPECT_EQ(Redact("note: password=hunter2 ok"), "note: password=<redacted> ok");
  // The name is compared percent-decoded.
  EXPECT_EQ(Redact("/x?api%5Fkey=abc"), "/x?api%5Fkey=<redacted>");
  // An empty value stays empty.
  EXPECT_EQ(Redact("/x?token=&y=1"), "/x?token=&y=1");
}

TEST(RedactCredentialsInTextTest, HidesBothInOneUrl) {
  EXPECT_EQ(Redact("https://u:pw@host/x?id=1&token=t#f"), "https://***@host/x?id=1&token=<redacted>#f");
}

TEST(RedactAttributeValueTest, HidesTheWholeValueOfACredentialName) {
  for (const char* name : {"Authorization", "X-Api-Key", "api_token", "client_secret", "DB_PASSWORD", "db_passwd",
                           "Proxy-Authorization", "session_cookie", "X-Goog-Signature", "gcp_credentials"}) {
    EXPECT_EQ(RedactAttributeValue(name, "s3cr3t"), kRedactedValue) << name;
  }
}

TEST(RedactAttributeValueTest, HidesCredentialsInsideOtherValues) {
  EXPECT_EQ(RedactAttributeValue("path", "/jobs/x"), "/jobs/x");
  EXPECT_EQ(RedactAttributeValue("author", "alice"), "alice");
  EXPECT_EQ(RedactAttributeValue("path", "/hook?token=t&x=1"), absl::StrCat("/hook?token=", kRedactedValue, "&x=1"));
  EXPECT_EQ(RedactAttributeValue("callback", "https://u:pw@h.example/cb"), "https://***@h.example/cb");
}

}  // namespace
}  // namespace schedsvc
