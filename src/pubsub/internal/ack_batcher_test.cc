#include "src/pubsub/internal/ack_batcher.h"

#include <ostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_executor.h"
#include "testing/fake_subscriber_stub.h"

// gtest prints these requests in failure messages. Its generic protobuf printer trips GCC 12's false
// -Werror=restrict at -O3 (GCC bug 105329, in std::string::insert); a one-line text form avoids it.
namespace google::pubsub::v1 {
void PrintTo(const AcknowledgeRequest& r, std::ostream* os) { *os << r.ShortDebugString(); }
void PrintTo(const ModifyAckDeadlineRequest& r, std::ostream* os) { *os << r.ShortDebugString(); }
}  // namespace google::pubsub::v1

namespace schedsvc::pubsub_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kSubscription[] = "projects/p/subscriptions/s";

std::vector<std::string> Ids(int n, const std::string& prefix) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

TEST(AckBatcherTest, SendsPartialBatchAfterTheDelay) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  auto stub = std::make_shared<testing::FakeSubscriberStub>();
  auto batcher = std::make_shared<AckBatcher>(stub, executor, clock, kSubscription, AckBatcherOptions{});
  batcher->Ack("a");
  batcher->Ack("b");
  EXPECT_THAT(stub->acks(), IsEmpty());
  executor.AdvanceTime(absl::Milliseconds(10));
  ASSERT_EQ(stub->acks().size(), 1u);
  EXPECT_EQ(stub->acks()[0].subscription(), kSubscription);
  EXPECT_THAT(stub->acked_ids(), ElementsAre("a", "b"));
}

TEST(AckBatcherTest, SplitsAtTheIdLimitAndGroupsDeadlinesBySeconds) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  auto stub = std::make_shared<testing::FakeSubscriberStub>();
  AckBatcherOptions options;
  options.max_ids_per_request = 3;
  auto batcher = std::make_shared<AckBatcher>(stub, executor, clock, kSubscription, options);
  for (const auto& id : Ids(7, "a")) batcher->Ack(id);
  EXPECT_EQ(stub->acks().size(), 2u);  // two full batches went at once
  batcher->ModifyDeadline({"x", "y"}, 0);
  batcher->ModifyDeadline({"z"}, 30);
  executor.AdvanceTime(absl::Milliseconds(10));
  EXPECT_EQ(stub->acks().size(), 3u);
  ASSERT_EQ(stub->modacks().size(), 2u);
  EXPECT_EQ(stub->modacks()[0].ack_deadline_seconds(), 0);
  EXPECT_THAT(stub->modacks()[0].ack_ids(), ElementsAre("x", "y"));
  EXPECT_EQ(stub->modacks()[1].ack_deadline_seconds(), 30);
}

TEST(AckBatcherTest, RetriesTransientFailuresWithBackoff) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  auto stub = std::make_shared<testing::FakeSubscriberStub>();
  stub->FailNextRpcs({absl::UnavailableError("down"), absl::UnavailableError("down")});
  auto batcher = std::make_shared<AckBatcher>(stub, executor, clock, kSubscription, AckBatcherOptions{});
  batcher->Ack("a");
  executor.AdvanceTime(absl::Seconds(5));
  EXPECT_EQ(stub->acks().size(), 3u);
  EXPECT_EQ(batcher->failed_ids(), 0);
  EXPECT_TRUE(batcher->FlushAndWait(absl::ZeroDuration()));
}

TEST(AckBatcherTest, PermanentFailureIsCountedNotRetried) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  auto stub = std::make_shared<testing::FakeSubscriberStub>();
  stub->FailNextRpcs({absl::InvalidArgumentError("bad ack id")});
  auto batcher = std::make_shared<AckBatcher>(stub, executor, clock, kSubscription, AckBatcherOptions{});
  batcher->Ack("a");
  executor.AdvanceTime(absl::Seconds(5));
  EXPECT_EQ(stub->acks().size(), 1u);
  EXPECT_EQ(batcher->failed_ids(), 1);
}

TEST(AckBatcherTest, GivesUpWhenTheRetryBudgetIsSpent) {
  testing::FakeClock clock;
  testing::FakeExecutor executor(clock);
  auto stub = std::make_shared<testing::FakeSubscriberStub>();
  stub->FailNextRpcs(std::vector<absl::Status>(1000, absl::UnavailableError("down")));
  AckBatcherOptions options;
  options.retry_budget = absl::Seconds(10);
  auto batcher = std::make_shared<AckBatcher>(stub, executor, clock, kSubscription, options);
  batcher->Ack("a");
  executor.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(batcher->failed_ids(), 1);
  const std::size_t attempts = stub->acks().size();
  EXPECT_GT(attempts, 2u);
  executor.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(stub->acks().size(), attempts);
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
