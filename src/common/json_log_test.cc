#include "src/common/json_log.h"

#include <sstream>
#include <string>
#include <vector>


#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/stalled_pipe.h"

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

// Asynchronous mode against a pipe the test reads only when it chooses to.
class AsyncJsonLoggerTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kQueueBytes = 16 * 1024;
  static constexpr int kLines = 2000;
  static constexpr absl::Duration kStep = absl::Milliseconds(10);
  static constexpr int kMaxSteps = 2000;

  ~AsyncJsonLoggerTest() override { logger_.reset(); }
  std::unique_ptr<JsonLogger> MakeLogger() {
    AsyncLogWriterOptions options;
    options.max_queued_bytes = kQueueBytes;
    options.poll_interval = kStep;
    return std::make_unique<JsonLogger>(pipe_.write_fd(), clock_, Severity::kInfo, options);
  }
  // Reads until the logger has written everything (bounded); returns the lines.
  std::vector<std::string> Drain(JsonLogger& logger) {
    return absl::StrSplit(pipe_.DrainUntil([&logger] { return logger.Flush(kStep); }, kMaxSteps), '\n',
                          absl::SkipEmpty());
  }

  testing::StalledPipe pipe_;
  testing::FakeClock clock_{absl::FromUnixSeconds(0)};
  std::unique_ptr<JsonLogger> logger_;
};

TEST_F(AsyncJsonLoggerTest, StalledReaderNeverBlocksLogAndDropsAreCountedThenReported) {
  ASSERT_TRUE(pipe_.ok());
  auto logger = MakeLogger();
  for (int i = 0; i < kLines; ++i) logger->Info("delivered", {{"n", i}});
  const std::uint64_t dropped = logger->dropped_lines();
  EXPECT_GT(dropped, 0u);
  std::vector<std::string> lines = Drain(*logger);
  EXPECT_EQ(lines.size() + dropped, static_cast<std::size_t>(kLines));
  int previous = -1;
  for (const std::string& line : lines) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) on a torn line
    EXPECT_GT(j["n"].get<int>(), previous);
    previous = j["n"];
  }
  // The reader is back: the next line is preceded by the notice.
  logger->Info("after");
  lines = Drain(*logger);
  ASSERT_EQ(lines.size(), 2u);
  auto notice = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(notice["severity"], "WARNING");
  EXPECT_EQ(notice["message"], absl::StrCat(dropped, " log lines dropped"));
  EXPECT_EQ(notice["dropped_lines"], dropped);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["message"], "after");
  // Reported once only.
  logger->Info("later");
  EXPECT_EQ(Drain(*logger).size(), 1u);
}

TEST_F(AsyncJsonLoggerTest, FlushIsBoundedWhileNobodyReadsAndDestructionReturns) {
  ASSERT_TRUE(pipe_.ok());
  constexpr absl::Duration kFlushBound = absl::Milliseconds(50);
  auto logger = MakeLogger();
  for (int i = 0; i < kLines; ++i) logger->Info("delivered", {{"n", i}});
  EXPECT_FALSE(logger->Flush(kFlushBound));
  logger.reset();  // must return although the pipe is full
}

TEST(JsonLoggerTest, SynchronousModeCountsNoDropsAndFlushes) {
  std::ostringstream out;
  testing::FakeClock clock;
  JsonLogger logger(out, clock);
  logger.Info("x");
  EXPECT_TRUE(logger.Flush(absl::ZeroDuration()));
  EXPECT_EQ(logger.dropped_lines(), 0u);
}

}  // namespace
}  // namespace schedsvc
