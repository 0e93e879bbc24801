#include "src/common/url_redaction.h"

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

constexpr char kPassword[] = "S3cret";

TEST(RedactUrlTest, LeavesAUrlWithoutUserInfoAlone) {
  EXPECT_EQ(RedactUrl("https://api.example.com:8443/jobs"), "https://api.example.com:8443/jobs");
}

TEST(RedactUrlTest, HidesUserInfoWhateverTheScheme) {
  for (const char* url : {"ftp://u:S3cret@host/x", "HTTP://u:S3cret@host", "https://u:S3cret@h@host/p"}) {
    const std::string shown = RedactUrl(url);
    EXPECT_EQ(shown.find(kPassword), std::string::npos) << shown;
    EXPECT_NE(shown.find("***@"), std::string::npos) << shown;
  }
  EXPECT_EQ(RedactUrl("ftp://u:S3cret@host/x"), "ftp://***@host/x");
}

TEST(RedactUrlTest, HidesAPasswordHoldingASlash) {
  EXPECT_EQ(RedactUrl("https://u:S3/cret@host/x"), "https://***@host/x");
  EXPECT_EQ(RedactUrl("ftp://u:S3/cret@host"), "ftp://***@host");
}

TEST(RedactUrlTest, HidesUserInfoInTextThatIsNotQuiteAUrl) {
  EXPECT_EQ(RedactUrl("https//u:S3cret@host/x").find(kPassword), std::string::npos);
  EXPECT_EQ(RedactUrl("u:S3cret@host").find(kPassword), std::string::npos);
}

TEST(RedactUrlTest, ShowsControlCharactersAsQuestionMarks) {
  EXPECT_EQ(RedactUrl("http://host/a\r\nX: y"), "http://host/a??X: y");
}

}  // namespace
}  // namespace schedsvc
