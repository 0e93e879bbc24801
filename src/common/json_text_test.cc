#include "src/common/json_text.h"

#include <string>

#include "gtest/gtest.h"

namespace schedsvc {
namespace {

TEST(JsonTextTest, CompactAndUtf8KeptAsIs) {
  EXPECT_EQ(JsonText(nlohmann::json{{"a", "Zürich"}, {"b", 1}}), R"({"a":"Zürich","b":1})");
}

TEST(JsonTextTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string not_utf8 = "/\xff\xfe";
  std::string text;
  ASSERT_NO_THROW(text = JsonText(nlohmann::json{{"path", not_utf8}}));
  EXPECT_EQ(text, "{\"path\":\"/\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  EXPECT_TRUE(nlohmann::json::accept(text));
}

}  // namespace
}  // namespace schedsvc
