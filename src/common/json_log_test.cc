#include "src/common/json_log.h"

#include <sstream>

#include "gtest/gtest.h"
#include "testing/fake_clock.h"

namespace schedsvc {
namespace {

TEST(JsonLoggerTest, WritesOneCloudLoggingObjectPerLine) {
  std::ostringstream out;
  testing::FakeClock clock(absl::FromUnixSeconds(0));
  JsonLogger logger(out, clock);
  logger.Warning("hello", {{"message_id", "42"}, {"attempt", 2}});
  logger.Log(Severity::kDebug, "dropped");
  std::string text = out.str();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["severity"], "WARNING");
  EXPECT_EQ(j["message"], "hello");
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(j["message_id"], "42");
  EXPECT_EQ(j["attempt"], 2);
}

TEST(JsonLoggerTest, InvalidUtf8IsReplacedNotThrown) {
  std::ostringstream out;
  testing::FakeClock clock;
  JsonLogger logger(out, clock);
  logger.Info("bad", {{"attr", std::string("\xff\xfe")}});
  EXPECT_NO_THROW(nlohmann::json::parse(out.str()));
}

}  // namespace
}  // namespace schedsvc
