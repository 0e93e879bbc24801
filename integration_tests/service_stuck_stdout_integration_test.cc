// schedule-service whose stdout is a pipe nobody reads: a log reader that stops reading
// must cost log lines, never deliveries or a timely shutdown. stdout is a FIFO the test holds open for
// reading and never reads, so the kernel's pipe buffer fills after a few hundred lines.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "integration_tests/service_fixture.h"

namespace schedsvc::service_it {
namespace {

// One "message delivered" line (~200 bytes) each: some 40 times what the pipe's 64 KiB buffer holds
// (delivery stopped after ~300 when logging blocked) and twice the logger's 1 MiB queue, so lines must
// be dropped.
constexpr int kMessages = 12000;
constexpr absl::Duration kDeliveryTimeout = absl::Seconds(90);
constexpr int kShutdownGraceSeconds = 5;
// Well below the demo backend's 256 server threads: each keep-alive connection holds one of them, and
// a request on a connection beyond them waits for one to fall idle (seconds), which this test is not about.
constexpr int kMaxConcurrency = 64;
// What SIGTERM to exit may take beyond shutdown_grace: the ack flush, the 2 s log flush, process exit.
constexpr absl::Duration kExitMargin = absl::Seconds(5);

class ServiceStuckStdoutTest : public ServiceIntegrationTest {
 protected:
  void TearDown() override {
    ServiceIntegrationTest::TearDown();
    if (reader_fd_ >= 0) ::close(reader_fd_);
  }

  // Creates the FIFO and opens it for reading (O_RDWR: the open does not wait for a writer), so the
  // service's writes find a reader that never reads.
  std::string MakeUnreadStdout() {
    const std::string fifo = dir_ + "/stdout.fifo";
    EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    reader_fd_ = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    EXPECT_GE(reader_fd_, 0);
    return fifo;
  }

  // Whatever the FIFO holds now (never blocks).
  std::string ReadWhatIsThere() {
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(reader_fd_, buffer, sizeof(buffer))) > 0;) out.append(buffer, n);
    return out;
  }

  int reader_fd_ = -1;
};

TEST_F(ServiceStuckStdoutTest, DeliversThousandsAndStopsWithinGraceWhileNobodyReadsStdout) {
  RunOptions o;
  o.shutdown_grace = absl::StrCat(kShutdownGraceSeconds, "s");
  o.max_concurrency = kMaxConcurrency;
  o.service_stdout = MakeUnreadStdout();
  ASSERT_GE(reader_fd_, 0);
  ASSERT_NO_FATAL_FAILURE(StartAll(o));

  const std::vector<std::string> ids = Publish(Numbered("stuck", kMessages));
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kMessages));
  EXPECT_TRUE(WaitFor([&] { return MetricSum("schedsvc_messages_acked_total").value_or(0) >= kMessages; },
                      kDeliveryTimeout))
      << "acked: " << MetricSum("schedsvc_messages_acked_total").value_or(-1);
  // The stall really happened: lines were dropped, not written.
  EXPECT_GT(MetricSum("schedsvc_log_lines_dropped_total").value_or(0), 0);

  const std::map<std::string, int> successes = Successes();
  for (const std::string& id : ids) EXPECT_EQ(successes.count(id), 1u) << "not delivered: " << id;

  const absl::Duration grace = absl::Seconds(kShutdownGraceSeconds);
  const int status = StopService(SIGTERM, grace + kExitMargin);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "SIGTERM did not stop the service within shutdown_grace + " << kExitMargin
      << " (it was killed); wait status " << status;

  // What did reach stdout: whole JSON lines, no secret.
  const std::string out = ReadWhatIsThere();
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.find(kPassword), std::string::npos);
  std::size_t start = 0;
  for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = out.substr(start, end - start);
    EXPECT_TRUE(nlohmann::json::accept(line)) << "not a whole JSON line: " << line;
  }
}

}  // namespace
}  // namespace schedsvc::service_it
