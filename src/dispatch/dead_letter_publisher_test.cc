#include "src/dispatch/dead_letter_publisher.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/pubsub/limits.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;

constexpr char kSubscription[] = "projects/p/subscriptions/s";
constexpr char kMessageId[] = "42";

DeadLetterInfo Info(std::string error) {
  return DeadLetterInfo{"http_4xx", std::move(error), 400, 1, "demo"};
}

bool IsValidUtf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(DeadLetterAttributesTest, AddsTheReasonAttributesToTheOriginalOnes) {
  auto attributes = DeadLetterAttributes({{"job", "nightly"}}, kMessageId, kSubscription, Info("HTTP 400"));
  EXPECT_EQ(attributes["job"], "nightly");
  EXPECT_EQ(attributes["schedsvc.reason"], "http_4xx");
  EXPECT_EQ(attributes["schedsvc.error"], "HTTP 400");
  EXPECT_EQ(attributes["schedsvc.http_status"], "400");
  EXPECT_EQ(attributes["schedsvc.source_subscription"], kSubscription);
  EXPECT_EQ(attributes["schedsvc.message_id"], kMessageId);
  EXPECT_THAT(attributes, Not(Contains(Key("schedsvc.truncated"))));
}

TEST(DeadLetterAttributesTest, StaysWithinPubSubsAttributeCountAndSaysWhatWasDropped) {
  std::map<std::string, std::string> original;
  for (std::size_t i = 0; i < pubsub::kMaxAttributes; ++i) original[absl::StrCat("a", 100 + i)] = "v";
  auto attributes = DeadLetterAttributes(original, kMessageId, kSubscription, Info("HTTP 400"));
  EXPECT_LE(attributes.size(), pubsub::kMaxAttributes);
  EXPECT_EQ(attributes["schedsvc.reason"], "http_4xx");
  ASSERT_THAT(attributes, Contains(Key("schedsvc.truncated")));
  EXPECT_THAT(attributes["schedsvc.truncated"], ::testing::HasSubstr("original attributes dropped"));
  // The first originals (in name order) are the ones kept.
  EXPECT_THAT(attributes, Contains(Key("a100")));
}

TEST(DeadLetterAttributesTest, CutsLongValuesAtACharacterBoundaryAndSaysSo) {
  // Two-byte characters, so a cut at the byte limit would split one.
  std::string error;
  for (std::size_t i = 0; i < pubsub::kMaxAttributeValueBytes; ++i) error += "\xc3\xa9";
  auto attributes = DeadLetterAttributes({}, kMessageId, kSubscription, Info(error));
  for (const auto& [key, value] : attributes) {
    EXPECT_LE(key.size(), pubsub::kMaxAttributeKeyBytes) << key;
    EXPECT_LE(value.size(), pubsub::kMaxAttributeValueBytes) << key;
    EXPECT_TRUE(IsValidUtf8(value)) << key;
  }
  EXPECT_THAT(attributes["schedsvc.truncated"], ::testing::HasSubstr("schedsvc.error"));
}

TEST(DeadLetterAttributesTest, ReplacesOriginalsThatUseItsOwnNames) {
  auto attributes =
      DeadLetterAttributes({{"schedsvc.reason", "forged"}}, kMessageId, kSubscription, Info("HTTP 400"));
  EXPECT_EQ(attributes["schedsvc.reason"], "http_4xx");
}

}  // namespace
}  // namespace schedsvc::dispatch
