#include "src/cli/dlq_leases.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/cli/fake_dlq_pubsub.h"
#include "testing/fake_clock.h"

namespace schedsvc::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSubscription[] = "projects/p/subscriptions/dead-inspect";
// The subscription's ack deadline: Pub/Sub's default and minimum.
constexpr absl::Duration kAckDeadline = absl::Seconds(10);

std::vector<std::string> AckIds(const std::vector<google::pubsub::v1::ReceivedMessage>& messages) {
  std::vector<std::string> ids;
  for (const auto& m : messages) ids.push_back(m.ack_id());
  return ids;
}

class DlqLeasesTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  FakeDlqAdminClient client_{clock_, kAckDeadline};
  std::ostringstream err_;
};

TEST_F(DlqLeasesTest, HoldExtendsAFreshBatchAtOnceSoItOutlivesTheAckDeadline) {
  client_.Add("a", {});
  client_.Add("b", {});
  auto pulled = client_.Pull(kSubscription, 10);
  ASSERT_TRUE(pulled.ok());
  DlqLeases leases(client_, kSubscription, clock_, err_);
  ASSERT_TRUE(leases.Hold(AckIds(*pulled)).ok());
  ASSERT_EQ(client_.modify_calls().size(), 1u);
  EXPECT_EQ(client_.modify_calls()[0].seconds, DlqLeases::kLeaseSeconds);
  EXPECT_EQ(client_.modify_calls()[0].ack_ids, AckIds(*pulled));
  EXPECT_EQ(leases.held(), 2);

  // Well past the subscription's 10 s, inside our lease: nothing comes back.
  clock_.AdvanceTime(absl::Seconds(DlqLeases::kLeaseSeconds) - absl::Seconds(1));
  EXPECT_EQ(client_.available(), 0);
}

TEST_F(DlqLeasesTest, RenewExtendsOnlyLeasesEndingWithinTheMargin) {
  client_.Add("early", {});
  auto early = client_.Pull(kSubscription, 1);
  ASSERT_TRUE(early.ok());
  DlqLeases leases(client_, kSubscription, clock_, err_);
  ASSERT_TRUE(leases.Hold(AckIds(*early)).ok());
  clock_.AdvanceTime(absl::Seconds(20));
  client_.Add("late", {});
  auto late = client_.Pull(kSubscription, 1);
  ASSERT_TRUE(late.ok());
  ASSERT_TRUE(leases.Hold(AckIds(*late)).ok());

  // 15 s on: "early" has 25 s left (< the margin), "late" 45 s.
  clock_.AdvanceTime(absl::Seconds(15));
  EXPECT_EQ(leases.Renew(), 1);
  ASSERT_EQ(client_.modify_calls().size(), 3u);
  EXPECT_THAT(client_.modify_calls()[2].ack_ids, ElementsAre((*early)[0].ack_id()));
  EXPECT_EQ(client_.modify_calls()[2].seconds, DlqLeases::kLeaseSeconds);
  // Nothing due right after.
  EXPECT_EQ(leases.Renew(), 0);

  // Renewing as it goes keeps both leased for far longer than one lease.
  for (int i = 0; i < 20; ++i) {
    clock_.AdvanceTime(absl::Seconds(10));
    leases.Renew();
    ASSERT_EQ(client_.available(), 0) << "after " << (i + 1) * 10 << " s more";
  }
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(DlqLeasesTest, AFailedHoldReleasesTheBatchAndReturnsTheError) {
  client_.Add("a", {});
  auto pulled = client_.Pull(kSubscription, 1);
  ASSERT_TRUE(pulled.ok());
  client_.FailModifyAckDeadline(absl::UnavailableError("pubsub down"));
  DlqLeases leases(client_, kSubscription, clock_, err_);
  absl::Status held = leases.Hold(AckIds(*pulled));
  EXPECT_EQ(held.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(leases.held(), 0);
  EXPECT_EQ(client_.available(), 1) << "released, not left to lapse";
}

TEST_F(DlqLeasesTest, AFailedRenewIsReportedAndRetriedNextTime) {
  client_.Add("a", {});
  auto pulled = client_.Pull(kSubscription, 1);
  ASSERT_TRUE(pulled.ok());
  DlqLeases leases(client_, kSubscription, clock_, err_);
  ASSERT_TRUE(leases.Hold(AckIds(*pulled)).ok());
  clock_.AdvanceTime(absl::Seconds(40));
  client_.FailModifyAckDeadline(absl::UnavailableError("pubsub down"));
  EXPECT_EQ(leases.Renew(), 0);
  EXPECT_THAT(err_.str(), HasSubstr("extending the lease of 1 message(s): pubsub down"));
  client_.FailModifyAckDeadline(absl::OkStatus());
  EXPECT_EQ(leases.Renew(), 1);
}

TEST_F(DlqLeasesTest, AckAndReleaseSettleAndTheDestructorReleasesTheRest) {
  const std::string a = client_.Add("a", {});
  const std::string b = client_.Add("b", {});
  const std::string c = client_.Add("c", {});
  auto pulled = client_.Pull(kSubscription, 3);
  ASSERT_TRUE(pulled.ok());
  {
    DlqLeases leases(client_, kSubscription, clock_, err_);
    ASSERT_TRUE(leases.Hold(AckIds(*pulled)).ok());
    ASSERT_TRUE(leases.Ack({(*pulled)[0].ack_id()}).ok());
    leases.Release({(*pulled)[1].ack_id()});
    EXPECT_EQ(leases.held(), 1);
    EXPECT_EQ(client_.available(), 1);  // b
  }
  EXPECT_TRUE(client_.acked(a));
  EXPECT_FALSE(client_.acked(b));
  EXPECT_FALSE(client_.acked(c));
  EXPECT_EQ(client_.available(), 2) << "the destructor released c";
  EXPECT_EQ(client_.modify_calls().back().seconds, 0);
}

}  // namespace
}  // namespace schedsvc::cli
