#include "src/scheduler/location_page.h"

#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

TEST(PageOfLocationsTest, ZeroPageSizeIsEverything) {
  auto page = PageOfLocations(3, 0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->begin, 0u);
  EXPECT_EQ(page->end, 3u);
  EXPECT_EQ(page->next_page_token, "");
}

TEST(PageOfLocationsTest, TokensWalkThePages) {
  auto first = PageOfLocations(3, 2, "");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->end, 2u);
  EXPECT_EQ(first->next_page_token, "2");
  auto second = PageOfLocations(3, 2, first->next_page_token);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->begin, 2u);
  EXPECT_EQ(second->end, 3u);
  EXPECT_EQ(second->next_page_token, "");
}

TEST(PageOfLocationsTest, BadTokensAreInvalidArgument) {
  for (const char* token : {"x", "-1", "4"}) {
    auto page = PageOfLocations(3, 1, token);
    ASSERT_FALSE(page.ok()) << token;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(page.status().message(), "Invalid page token.");
  }
}

}  // namespace
}  // namespace schedsvc::scheduler
