#include "src/common/async_log_writer.h"

#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/stalled_pipe.h"

namespace schedsvc {
namespace {

// A small queue so a stall shows after a few lines (the pipe's kernel buffer is one page).
constexpr std::size_t kQueueBytes = 16 * 1024;
constexpr absl::Duration kPoll = absl::Milliseconds(10);
// Far more than the pipe and the queue hold together.
constexpr int kLines = 2000;
constexpr absl::Duration kStuckFlush = absl::Milliseconds(50);
constexpr absl::Duration kDrainStep = absl::Milliseconds(10);
constexpr int kMaxDrainSteps = 2000;
constexpr absl::Duration kGenerousFlush = absl::Seconds(10);

using testing::StalledPipe;

std::string NumberedLine(int i) { return absl::StrCat("line ", i, " ", std::string(80, 'x'), "\n"); }

AsyncLogWriterOptions SmallOptions() {
  AsyncLogWriterOptions options;
  options.max_queued_bytes = kQueueBytes;
  options.poll_interval = kPoll;
  return options;
}

// Reads the pipe until everything queued is written (bounded), returning what came out.
std::string DrainUntilFlushed(StalledPipe& pipe, AsyncLogWriter& writer) {
  return pipe.DrainUntil([&writer] { return writer.Flush(kDrainStep); }, kMaxDrainSteps);
}

TEST(AsyncLogWriterTest, StalledReaderDropsAndCountsLinesAndTheRestArriveWholeInOrder) {
  StalledPipe pipe;
  ASSERT_TRUE(pipe.ok());
  AsyncLogWriter writer(pipe.write_fd(), SmallOptions());
  int refused = 0;
  for (int i = 0; i < kLines; ++i) {
    if (!writer.Write(NumberedLine(i))) ++refused;
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(writer.dropped_lines(), static_cast<std::uint64_t>(refused));
  EXPECT_FALSE(writer.Flush(kStuckFlush)) << "nobody reads: the queue cannot have drained";

  const std::string out = DrainUntilFlushed(pipe, writer);
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  int previous = -1;
  for (const std::string& line : lines) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts.size(), 3u) << line;
    int index = -1;
    ASSERT_TRUE(absl::SimpleAtoi(parts[1], &index)) << line;
    EXPECT_EQ(absl::StrCat(line, "\n"), NumberedLine(index)) << "line not whole";
    EXPECT_GT(index, previous) << "out of order";
    previous = index;
  }
  EXPECT_EQ(lines.size() + writer.dropped_lines(), static_cast<std::size_t>(kLines));
}

TEST(AsyncLogWriterTest, ShutdownReturnsWhileNobodyReadsAndCountsWhatIsLeft) {
  StalledPipe pipe;
  ASSERT_TRUE(pipe.ok());
  AsyncLogWriter writer(pipe.write_fd(), SmallOptions());
  for (int i = 0; i < kLines; ++i) writer.Write(NumberedLine(i));
  const std::uint64_t dropped_before = writer.dropped_lines();
  writer.Shutdown(kStuckFlush);
  EXPECT_GT(writer.dropped_lines(), dropped_before) << "queued lines left at shutdown are counted";
  EXPECT_FALSE(writer.Write(NumberedLine(kLines)));
  const std::string out = pipe.ReadAvailable();
  const std::size_t written = static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n'));
  EXPECT_EQ(written + writer.dropped_lines(), static_cast<std::size_t>(kLines + 1));
}

TEST(AsyncLogWriterTest, ReaderGoneDropsLinesAndFlushStillCompletes) {
  ::signal(SIGPIPE, SIG_IGN);  // as the service does; a write would otherwise kill the test
  constexpr int kFewLines = 10;
  StalledPipe pipe;
  ASSERT_TRUE(pipe.ok());
  pipe.CloseReadEnd();
  AsyncLogWriter writer(pipe.write_fd(), SmallOptions());
  for (int i = 0; i < kFewLines; ++i) EXPECT_TRUE(writer.Write(NumberedLine(i)));
  EXPECT_TRUE(writer.Flush(kGenerousFlush));
  EXPECT_EQ(writer.dropped_lines(), static_cast<std::uint64_t>(kFewLines));
}

TEST(AsyncLogWriterTest, DropNoticeMarksDropsReportedOnlyWhenQueued) {
  StalledPipe pipe;
  ASSERT_TRUE(pipe.ok());
  AsyncLogWriter writer(pipe.write_fd(), SmallOptions());
  for (int i = 0; i < kLines; ++i) writer.Write(NumberedLine(i));
  const std::uint64_t missed = writer.unreported_drops();
  ASSERT_GT(missed, 0u);
  // As long as the lines that were refused: it cannot fit either.
  const std::string notice = NumberedLine(kLines);
  auto format = [&notice](std::uint64_t, std::uint64_t) { return notice; };
  EXPECT_FALSE(writer.WriteDropNotice(format)) << "the queue is still full";
  EXPECT_EQ(writer.unreported_drops(), missed) << "a notice that did not fit reports nothing";
  DrainUntilFlushed(pipe, writer);
  EXPECT_TRUE(writer.WriteDropNotice(format));
  EXPECT_EQ(writer.unreported_drops(), 0u);
  EXPECT_EQ(writer.dropped_lines(), missed);
  EXPECT_EQ(DrainUntilFlushed(pipe, writer), notice);
}

// Two callers that both saw drops (unreported_drops() > 0 before either queued a notice) report them
// once: the count is taken under the writer's lock, so the second finds nothing left to report.
TEST(AsyncLogWriterTest, TwoCallersSeeingTheSameDropsQueueOneNotice) {
  StalledPipe pipe;
  ASSERT_TRUE(pipe.ok());
  AsyncLogWriter writer(pipe.write_fd(), SmallOptions());
  for (int i = 0; i < kLines; ++i) writer.Write(NumberedLine(i));
  const std::uint64_t dropped = writer.dropped_lines();
  ASSERT_GT(dropped, 0u);
  DrainUntilFlushed(pipe, writer);
  ASSERT_GT(writer.unreported_drops(), 0u);  // both callers' cheap check passes
  int formatted = 0;
  auto format = [&](std::uint64_t missed, std::uint64_t dropped_total) {
    ++formatted;
    EXPECT_EQ(dropped_total, dropped);
    return NumberedLine(static_cast<int>(missed));
  };
  EXPECT_TRUE(writer.WriteDropNotice(format));
  EXPECT_FALSE(writer.WriteDropNotice(format));
  EXPECT_EQ(formatted, 1) << "nothing left to report: no second notice is formatted";
  EXPECT_EQ(DrainUntilFlushed(pipe, writer), NumberedLine(static_cast<int>(dropped)));
}

}  // namespace
}  // namespace schedsvc
