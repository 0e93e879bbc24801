#include "src/push/push_ack_handle.h"

#include <memory>
#include <thread>

#include "gtest/gtest.h"

namespace schedsvc::push {
namespace {

// Long enough never to pass in a test that settles first; a wait never lasts this long when it passes.
constexpr absl::Duration kLongWait = absl::Minutes(5);
constexpr char kAckId[] = "push-1";

TEST(PushAckHandleTest, AckIsAnAnswerOfSuccess) {
  auto impl = std::make_shared<PushAckHandle>();
  pubsub::AckHandle handle(impl, kAckId);
  std::move(handle).Ack();
  EXPECT_EQ(impl->Wait(kLongWait), PushSettle::kAcked);
}

TEST(PushAckHandleTest, NackWithAnyDelayIsAnAnswerOfFailure) {
  auto impl = std::make_shared<PushAckHandle>();
  pubsub::AckHandle handle(impl, kAckId);
  std::move(handle).NackWithDelay(absl::Seconds(60));
  EXPECT_EQ(impl->Wait(kLongWait), PushSettle::kNacked);
}

TEST(PushAckHandleTest, AHandleDroppedUnsettledIsANack) {
  auto impl = std::make_shared<PushAckHandle>();
  { pubsub::AckHandle handle(impl, kAckId); }
  EXPECT_EQ(impl->Wait(kLongWait), PushSettle::kNacked);
}

TEST(PushAckHandleTest, UnsettledWaitEndsPendingAtItsBound) {
  auto impl = std::make_shared<PushAckHandle>();
  pubsub::AckHandle handle(impl, kAckId);
  EXPECT_EQ(impl->Wait(absl::ZeroDuration()), PushSettle::kPending);
}

TEST(PushAckHandleTest, AbandonWakesTheWaiterAndALaterSettleChangesNothing) {
  auto impl = std::make_shared<PushAckHandle>();
  pubsub::AckHandle handle(impl, kAckId);
  PushSettle seen = PushSettle::kPending;
  std::thread waiter([&] { seen = impl->Wait(kLongWait); });
  impl->Abandon();
  waiter.join();
  EXPECT_EQ(seen, PushSettle::kAbandoned);
  std::move(handle).Ack();
  EXPECT_EQ(impl->state(), PushSettle::kAbandoned);
}

// The server's wait can end just before the dispatcher settles: giving up then must answer what was
// settled (an ack is an ack: the backend was called), not the abandonment.
TEST(PushAckHandleTest, AbandonAfterASettleReturnsTheSettle) {
  auto impl = std::make_shared<PushAckHandle>();
  pubsub::AckHandle handle(impl, kAckId);
  EXPECT_EQ(impl->Wait(absl::ZeroDuration()), PushSettle::kPending);
  std::move(handle).Ack();
  EXPECT_EQ(impl->Abandon(), PushSettle::kAcked);
  auto unsettled = std::make_shared<PushAckHandle>();
  EXPECT_EQ(unsettled->Abandon(), PushSettle::kAbandoned);
}

TEST(PushAckHandleTest, ReleaseRunsOnceWhenTheLastReferenceGoes) {
  int released = 0;
  auto impl = std::make_shared<PushAckHandle>([&] { ++released; });
  pubsub::AckHandle handle(impl, kAckId);
  impl.reset();  // the request's reference goes first
  EXPECT_EQ(released, 0);
  std::move(handle).Ack();  // the dispatcher's settle drops the last one
  EXPECT_EQ(released, 1);
}

}  // namespace
}  // namespace schedsvc::push
