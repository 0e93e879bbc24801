// The dead-letter round trip with schedule-service itself doing the dead-lettering: the demo backend
// answers 400 on one path, the service dead-letters those messages with reason attributes, `schedctl dlq
// list` shows them with their reasons, the backend is fixed, `schedctl dlq replay` republishes them to
// the original topic, the service delivers them, the backend records each exactly once, and the
// dead-letter subscription is then empty. Uses the schedule-service fixture (service_fixture.h).

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/service_fixture.h"
#include "testing/child_process.h"

namespace schedsvc::service_it {
namespace {

using ::schedsvc::testing::RunResult;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr int kBad = 3;
constexpr int kGood = 2;
constexpr char kBadPath[] = "/orders/bad";
const absl::Duration kRunTimeout = absl::Seconds(60);
const absl::Duration kDeliveryTimeout = absl::Seconds(60);
// After the replays were delivered, wait this long for a duplicate that must not come.
const absl::Duration kQuietPeriod = absl::Seconds(3);

class SchedctlDlqRoundTripTest : public ServiceIntegrationTest {
 protected:
  RunResult Schedctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {absl::StrCat(testing::BuildDir(), "/src/cli/schedctl")};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = absl::StrCat(dir_, "/schedctl-", runs_++, ".log");
    auto result = testing::RunToExit(argv, {{"PUBSUB_EMULATOR_HOST", emulator_->host_port()}}, log, kRunTimeout);
    if (!result.ok()) {
      ADD_FAILURE() << result.status();
      return {};
    }
    return *std::move(result);
  }

  // Calls the backend answered 2xx on `path`.
  std::vector<BackendCall> SucceededOn(const std::string& path) {
    std::vector<BackendCall> out;
    for (const BackendCall& c : Calls()) {
      if (c.path == path && c.status >= 200 && c.status < 300) out.push_back(c);
    }
    return out;
  }

  static std::vector<std::string> Lines(const std::string& output) { return absl::StrSplit(output, '\n'); }

  int runs_ = 0;
};

TEST_F(SchedctlDlqRoundTripTest, ServiceDeadLettersAreListedReplayedDeliveredAndGone) {
  RunOptions o;
  o.backend_flags = {absl::StrCat("--status-for-path=", kBadPath, "=400")};
  ASSERT_NO_FATAL_FAILURE(StartAll(o));

  const std::vector<std::string> bad = Publish(Numbered("bad", kBad, {{"path", kBadPath}}));
  const std::vector<std::string> good = Publish(Numbered("good", kGood, {{"path", "/orders/good"}}));
  ASSERT_EQ(bad.size(), static_cast<size_t>(kBad));
  ASSERT_TRUE(WaitAllSucceeded(good, kDeliveryTimeout));
  ASSERT_TRUE(WaitFor([&] { return MetricSum("schedsvc_messages_dead_lettered_total").value_or(0) >= kBad; },
                      kDeliveryTimeout))
      << "the service did not dead-letter the 400s";

  // Listed with the service's reasons, not consumed.
  RunResult list = Schedctl({"dlq", "list", "--subscription", inspect_});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(Lines(list.output), Contains(absl::StrCat(kBad, " dead letter(s) on ", inspect_, " (left in place)")))
      << list.output;
  int reasons = 0;
  for (const std::string& line : Lines(list.output)) reasons += line == "  reason: http_4xx" ? 1 : 0;
  EXPECT_EQ(reasons, kBad) << list.output;
  EXPECT_THAT(list.output, HasSubstr("why   schedsvc.http_status=400"));
  for (const std::string& id : bad) EXPECT_THAT(list.output, HasSubstr(absl::StrCat("schedsvc.message_id=", id)));
  EXPECT_THAT(list.output, HasSubstr(absl::StrCat("attr  path=", kBadPath)));

  // The backend is fixed; replay to the original topic.
  ASSERT_NO_FATAL_FAILURE(SetBackendConfig(R"({"status_for_path": {}})"));
  RunResult replay = Schedctl({"dlq", "replay", "--subscription", inspect_, "--to", topic_});
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_THAT(Lines(replay.output), Contains(absl::StrCat("replayed ", kBad, ", skipped by filter 0, failed 0")))
      << replay.output;

  // The service delivers each replay; the backend records each exactly once.
  ASSERT_TRUE(WaitFor([&] { return SucceededOn(kBadPath).size() >= static_cast<size_t>(kBad); }, kDeliveryTimeout))
      << "replays not delivered; schedctl said:\n" << replay.output;
  absl::SleepFor(kQuietPeriod);
  std::vector<BackendCall> delivered = SucceededOn(kBadPath);
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kBad)) << "a replay was delivered twice";
  std::set<std::string> ids;
  for (const BackendCall& c : delivered) ids.insert(c.message_id);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kBad));
  EXPECT_EQ(MetricSum("schedsvc_messages_dead_lettered_total").value_or(-1), kBad) << "a replay was dead-lettered";

  // The dead-letter subscription is empty.
  RunResult empty = Schedctl({"dlq", "list", "--subscription", inspect_});
  ASSERT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_THAT(Lines(empty.output), Contains(absl::StrCat("0 dead letter(s) on ", inspect_, " (left in place)")))
      << empty.output;
  EXPECT_TRUE(DeadLetters(1, absl::Seconds(2)).empty());
}

}  // namespace
}  // namespace schedsvc::service_it
