#include "src/console/console_assets.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::console {
namespace {

using ::testing::ElementsAre;

// The page's files as they are in the source tree, which the build embeds.
std::string SourceFile(const std::string& name) {
  std::ifstream f(std::string(SCHEDSVC_SOURCE_DIR) + "/src/console/web/" + name, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(ConsoleAssetsTest, EmbedsEveryFileOfThePageByteForByte) {
  EXPECT_THAT(ConsoleAssetPaths(), ElementsAre("/index.html", "/app.js", "/style.css"));
  for (const std::string name : {"index.html", "app.js", "style.css"}) {
    const auto asset = FindConsoleAsset("/" + name);
    ASSERT_TRUE(asset.has_value()) << name;
    const std::string on_disk = SourceFile(name);
    ASSERT_FALSE(on_disk.empty()) << name;
    EXPECT_EQ(asset->body, on_disk) << name;
  }
}

TEST(ConsoleAssetsTest, RootIsTheIndexWithHtmlContentType) {
  const auto root = FindConsoleAsset("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->body, SourceFile("index.html"));
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(FindConsoleAsset("/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(FindConsoleAsset("/style.css")->content_type, "text/css; charset=utf-8");
}

TEST(ConsoleAssetsTest, AnyOtherPathIsNotAnAsset) {
  for (const char* path : {"", "index.html", "/web/app.js", "/../app.js", "/app.js/", "/APP.JS", "/missing.js"}) {
    EXPECT_FALSE(FindConsoleAsset(path).has_value()) << path;
  }
}

TEST(ConsoleAssetsTest, ContentTypeFollowsTheExtension) {
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.png"), "image/png");
  EXPECT_EQ(ContentTypeFor("a.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace schedsvc::console
