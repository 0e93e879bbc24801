#include "src/common/utf8_prefix.h"

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(Utf8PrefixTest, KeepsWhatFits) {
  EXPECT_EQ(Utf8Prefix("", 0), "");
  EXPECT_EQ(Utf8Prefix("abc", 3), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 2), "ab");
  EXPECT_EQ(Utf8Prefix("abc", 0), "");
}

TEST(Utf8PrefixTest, NeverSplitsASequence) {
  // "aü€" is a (1 byte), ü (2 bytes), € (3 bytes).
  const absl::string_view text = "a\xC3\xBC\xE2\x82\xAC";
  EXPECT_EQ(Utf8Prefix(text, 1), "a");
  EXPECT_EQ(Utf8Prefix(text, 2), "a");
  EXPECT_EQ(Utf8Prefix(text, 3), "a\xC3\xBC");
  EXPECT_EQ(Utf8Prefix(text, 4), "a\xC3\xBC");
  EXPECT_EQ(Utf8Prefix(text, 5), "a\xC3\xBC");
  EXPECT_EQ(Utf8Prefix(text, 6), text);
}

}  // namespace
}  // namespace schedsvc
