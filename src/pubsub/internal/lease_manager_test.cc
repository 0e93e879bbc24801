#include "src/pubsub/internal/lease_manager.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_executor.h"

namespace schedsvc::pubsub_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::Duration kStep = absl::Seconds(10);
constexpr absl::Duration kMaxExtension = absl::Seconds(35);

struct Recorder {
  std::vector<std::pair<std::vector<std::string>, int>> calls;
  LeaseManager::DeadlineSink sink() {
    return [this](std::vector<std::string> ids, int seconds) { calls.emplace_back(std::move(ids), seconds); };
  }
};

TEST(LeaseManagerTest, ExtendsInModestStepsBeforeTheDeadline) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  Recorder recorder;
  auto leases = std::make_shared<LeaseManager>(executor, clock, recorder.sink(), LeaseOptions{kStep, absl::Hours(1)});
  leases->Start();
  leases->Add("a", 10);
  // Less than half a step left after 5 s: the first extension goes out at the next refresh, for one step.
  executor.AdvanceTime(absl::Seconds(4));
  EXPECT_THAT(recorder.calls, IsEmpty());
  executor.AdvanceTime(absl::Seconds(3));
  ASSERT_EQ(recorder.calls.size(), 1u);
  EXPECT_THAT(recorder.calls[0].first, ElementsAre("a"));
  EXPECT_EQ(recorder.calls[0].second, 10);
  // Over a minute the lease never gets within a second of expiring and each extension is one step.
  absl::Time deadline = clock.Now() + absl::Seconds(recorder.calls[0].second);
  for (int i = 0; i < 60; ++i) {
    std::size_t before = recorder.calls.size();
    executor.AdvanceTime(absl::Seconds(1));
    ASSERT_LT(clock.Now(), deadline) << "lease lapsed";
    if (recorder.calls.size() > before) {
      EXPECT_LE(recorder.calls.back().second, 10);
      deadline = clock.Now() + absl::Seconds(recorder.calls.back().second);
    }
  }
  EXPECT_GE(leases->extensions(), 10);
}

TEST(LeaseManagerTest, StopsExtendingAtMaxExtensionAndCountsTheExpiry) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  Recorder recorder;
  auto leases = std::make_shared<LeaseManager>(executor, clock, recorder.sink(), LeaseOptions{kStep, kMaxExtension});
  const absl::Time received = clock.Now();
  leases->Start();
  leases->Add("a", 10);
  executor.AdvanceTime(absl::Seconds(60));
  ASSERT_FALSE(recorder.calls.empty());
  // The last extension ends exactly at receive + max_extension, and nothing follows it.
  int total_seconds_asked_beyond = 0;
  for (const auto& call : recorder.calls) total_seconds_asked_beyond = call.second;
  EXPECT_GT(total_seconds_asked_beyond, 0);
  EXPECT_EQ(leases->expiries(), 1);
  const std::size_t calls = recorder.calls.size();
  executor.AdvanceTime(absl::Seconds(60));
  EXPECT_EQ(recorder.calls.size(), calls);
  (void)received;
}

TEST(LeaseManagerTest, ZeroMaxExtensionNeverExtends) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  Recorder recorder;
  auto leases = std::make_shared<LeaseManager>(executor, clock, recorder.sink(),
                                               LeaseOptions{kStep, absl::ZeroDuration()});
  leases->Start();
  leases->Add("a", 10);
  executor.AdvanceTime(absl::Seconds(30));
  EXPECT_THAT(recorder.calls, IsEmpty());
  EXPECT_EQ(leases->expiries(), 1);
}

TEST(LeaseManagerTest, ExtendsOnlyUnsettledMessages) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  Recorder recorder;
  auto leases = std::make_shared<LeaseManager>(executor, clock, recorder.sink(), LeaseOptions{kStep, absl::Hours(1)});
  leases->Start();
  leases->Add("a", 10);
  leases->Add("b", 20);
  EXPECT_EQ(leases->Remove("a"), 10);
  EXPECT_EQ(leases->Remove("a"), -1);
  executor.AdvanceTime(absl::Seconds(7));
  ASSERT_EQ(recorder.calls.size(), 1u);
  EXPECT_THAT(recorder.calls[0].first, ElementsAre("b"));
  EXPECT_THAT(leases->TakeAll(), ElementsAre("b"));
  EXPECT_EQ(leases->size(), 0u);
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
