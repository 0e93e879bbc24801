#include "src/common/json_log.h"

#include <sstream>
#include <string>
#include <vector>

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

TEST(JsonLoggerTest, TimeHasMicrosecondsAcrossSecondsAndAfterGoingBack) {
  std::ostringstream out;
  testing::FakeClock clock(absl::FromUnixMicros(1'796'097'130'000'042));  // 2026-12-01T03:52:10.000042Z
  JsonLogger logger(out, clock);
  logger.Info("a");
  clock.AdvanceTime(absl::Microseconds(1'999'999));
  logger.Info("b");
  clock.AdvanceTime(absl::Seconds(-2));
  logger.Info("c");
  std::istringstream in(out.str());
  std::vector<std::string> times;
  for (std::string line; std::getline(in, line);) times.push_back(nlohmann::json::parse(line)["time"]);
  EXPECT_EQ(times, (std::vector<std::string>{"2026-12-01T03:52:10.000042Z", "2026-12-01T03:52:12.000041Z",
                                             "2026-12-01T03:52:10.000041Z"}));
}

TEST(JsonLoggerTest, FieldsCannotReplaceSeverityMessageOrTime) {
  std::ostringstream out;
  testing::FakeClock clock(absl::FromUnixSeconds(0));
  JsonLogger logger(out, clock);
  logger.Info("real", {{"message", "fake"}, {"severity", "CRITICAL"}, {"time", "x"}, {"backend", "b\"q"}});
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["message"], "real");
  EXPECT_EQ(j["severity"], "INFO");
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(j["backend"], "b\"q");
  EXPECT_EQ(j.size(), 4u);
}

}  // namespace
}  // namespace schedsvc
