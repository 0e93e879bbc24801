#include "src/pubsub/internal/subscription_session.h"

#include <atomic>
#include <optional>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/synchronization/notification.h"
#include "testing/fake_executor.h"
#include "testing/fake_subscriber_stub.h"

namespace schedsvc::pubsub_internal {
namespace {

using ::schedsvc::pubsub::AckHandle;
using ::schedsvc::pubsub::Message;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace v1 = ::google::pubsub::v1;

constexpr char kSubscription[] = "projects/p/subscriptions/s";
constexpr absl::Duration kAckFlush = absl::Milliseconds(10);

v1::StreamingPullResponse Response(std::vector<std::string> ack_ids) {
  v1::StreamingPullResponse response;
  for (const auto& id : ack_ids) {
    auto* m = response.add_received_messages();
    m->set_ack_id(id);
    m->mutable_message()->set_message_id("m-" + id);
    m->mutable_message()->set_data("payload-" + id);
    (*m->mutable_message()->mutable_attributes())["k"] = "v";
    m->mutable_message()->mutable_publish_time()->set_seconds(1'700'000'000);
    m->set_delivery_attempt(2);
  }
  return response;
}

class SubscriptionSessionTest : public ::testing::Test {
 protected:
  pubsub::SubscriberOptions Options(int streams) {
    pubsub::SubscriberOptions options;
    options.subscription = kSubscription;
    options.streams = streams;
    options.max_outstanding_messages = 1000;
    options.max_outstanding_bytes = 4000;
    options.lease_extension_step = absl::Seconds(10);
    options.client_id = "client-1";
    return options;
  }

  std::shared_ptr<SubscriptionSession> StartSession(pubsub::SubscriberOptions options) {
    session_ = SubscriptionSession::Make(std::move(options), stub_, executor_, clock_);
    session_->Start([this](Message m, AckHandle h) {
      received_.push_back(m);
      handles_.push_back(std::move(h));
    });
    return session_;
  }

  testing::FakeClock clock_;
  testing::FakeExecutor executor_{clock_};
  std::shared_ptr<testing::FakeSubscriberStub> stub_ = std::make_shared<testing::FakeSubscriberStub>();
  std::shared_ptr<SubscriptionSession> session_;
  std::vector<Message> received_;
  std::vector<AckHandle> handles_;
};

TEST_F(SubscriptionSessionTest, InitialRequestCarriesSubscriptionDeadlineAndFlowControlShare) {
  StartSession(Options(4));
  auto streams = stub_->streams();
  ASSERT_EQ(streams.size(), 4u);
  for (const auto& s : streams) {
    auto initial = s->initial();
    EXPECT_EQ(initial.subscription(), kSubscription);
    EXPECT_EQ(initial.stream_ack_deadline_seconds(), 10);
    EXPECT_EQ(initial.client_id(), "client-1");
    EXPECT_EQ(initial.max_outstanding_messages(), 250);
    EXPECT_EQ(initial.max_outstanding_bytes(), 1000);
  }
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, DeliversMessagesAndAcksEachOnce) {
  StartSession(Options(1));
  auto stream = stub_->streams().at(0);
  stream->Establish();
  stream->Deliver(Response({"a", "b"}));
  executor_.RunReady();
  ASSERT_EQ(received_.size(), 2u);
  EXPECT_EQ(received_[0].message_id, "m-a");
  EXPECT_EQ(received_[0].data, "payload-a");
  EXPECT_EQ(received_[0].attributes.at("k"), "v");
  EXPECT_EQ(received_[0].delivery_attempt, 2);
  EXPECT_EQ(received_[0].publish_time, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(session_->stats().messages_leased, 2);
  std::move(handles_[0]).Ack();
  std::move(handles_[1]).Ack();
  executor_.AdvanceTime(kAckFlush);
  EXPECT_THAT(stub_->acked_ids(), ElementsAre("a", "b"));
  EXPECT_EQ(session_->stats().messages_leased, 0);
  EXPECT_EQ(session_->stats().messages_received, 2);
  session_->Shutdown(absl::ZeroDuration());
  EXPECT_THAT(stub_->acked_ids(), ElementsAre("a", "b"));
}

// A response's admitted messages go to the executor as one task per handler thread (not one per
// message); the tasks take the messages in order from the shared batch.
TEST_F(SubscriptionSessionTest, AResponseIsHandedOverInOneTaskPerHandlerThread) {
  auto options = Options(1);
  options.executor_threads = 2;
  StartSession(options);
  auto stream = stub_->streams().at(0);
  stream->Establish();
  const std::size_t before = executor_.pending();
  stream->Deliver(Response({"a", "b", "c", "d", "e"}));
  EXPECT_EQ(executor_.pending(), before + 2);
  executor_.RunReady();
  ASSERT_EQ(received_.size(), 5u);
  std::vector<std::string> ids;
  for (const auto& m : received_) ids.push_back(m.message_id);
  EXPECT_THAT(ids, ElementsAre("m-a", "m-b", "m-c", "m-d", "m-e"));
  // A single message is a single task.
  stream->Deliver(Response({"f"}));
  EXPECT_EQ(executor_.pending(), before + 1);
  executor_.RunReady();
  EXPECT_EQ(received_.size(), 6u);
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, UnsettledHandleNacksWhenDestroyedAndDelayedNackUsesSeconds) {
  StartSession(Options(1));
  auto stream = stub_->streams().at(0);
  stream->Deliver(Response({"a", "b"}));
  executor_.RunReady();
  ASSERT_EQ(handles_.size(), 2u);
  std::move(handles_[1]).NackWithDelay(absl::Milliseconds(4500));
  handles_.clear();  // "a" was never settled
  executor_.AdvanceTime(kAckFlush);
  auto modacks = stub_->modacks();
  ASSERT_EQ(modacks.size(), 2u);
  std::map<int, std::vector<std::string>> by_seconds;
  for (const auto& r : modacks) by_seconds[r.ack_deadline_seconds()].assign(r.ack_ids().begin(), r.ack_ids().end());
  EXPECT_THAT(by_seconds[0], ElementsAre("a"));
  EXPECT_THAT(by_seconds[5], ElementsAre("b"));
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, ExtendsLeasesOfMessagesBeingHandled) {
  StartSession(Options(1));
  stub_->streams().at(0)->Deliver(Response({"a"}));
  executor_.RunReady();
  executor_.AdvanceTime(absl::Seconds(30));
  auto modacks = stub_->modacks();
  ASSERT_FALSE(modacks.empty());
  for (const auto& r : modacks) {
    EXPECT_THAT(r.ack_ids(), ElementsAre("a"));
    EXPECT_EQ(r.ack_deadline_seconds(), 10);
  }
  EXPECT_GE(session_->stats().lease_extensions, 4);
  std::move(handles_[0]).Ack();
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, FailedStreamIsRetriedWithBackoffAndEstablishedOneReopensAtOnce) {
  auto options = Options(1);
  options.reconnect_backoff = {absl::Seconds(1), absl::Seconds(8), 2.0, 0.0};
  StartSession(options);
  auto first = stub_->streams().at(0);
  first->Finish(absl::UnavailableError("connect failed"));
  EXPECT_EQ(stub_->streams().size(), 1u);
  executor_.AdvanceTime(absl::Milliseconds(999));
  EXPECT_EQ(stub_->streams().size(), 1u);
  executor_.AdvanceTime(absl::Milliseconds(1));
  ASSERT_EQ(stub_->streams().size(), 2u);
  // Second failure: the backoff doubled.
  stub_->streams().at(1)->Finish(absl::UnavailableError("connect failed"));
  executor_.AdvanceTime(absl::Milliseconds(1999));
  EXPECT_EQ(stub_->streams().size(), 2u);
  executor_.AdvanceTime(absl::Milliseconds(1));
  ASSERT_EQ(stub_->streams().size(), 3u);
  // This one is established and lives a while: when it ends it is reopened without delay.
  auto third = stub_->streams().at(2);
  third->Establish();
  EXPECT_TRUE(session_->IsHealthy());
  executor_.AdvanceTime(absl::Seconds(5));
  third->Finish(absl::UnavailableError("server closed the stream"));
  EXPECT_FALSE(session_->IsHealthy());
  executor_.RunReady();
  ASSERT_EQ(stub_->streams().size(), 4u);
  EXPECT_EQ(session_->stats().stream_reconnects, 3);
  stub_->streams().at(3)->Establish();
  EXPECT_TRUE(session_->IsHealthy());
  session_->Shutdown(absl::ZeroDuration());
  EXPECT_FALSE(session_->IsHealthy());
}

// A server that accepts each stream and drops it at once (the emulator answering NOT_FOUND after the
// stream's headers, or a proxy that resets) must not be hammered: the backoff keeps growing across such
// short-lived streams and is reset only by a stream that lived min_healthy_lifetime.
TEST_F(SubscriptionSessionTest, StreamsThatEndRightAfterConnectingBackOffEverLonger) {
  auto options = Options(1);
  options.reconnect_backoff = {absl::Seconds(1), absl::Seconds(8), 2.0, 0.0};
  StartSession(options);
  absl::Duration expected = absl::Seconds(1);
  for (int i = 0; i < 4; ++i) {
    auto stream = stub_->streams().back();
    stream->Establish();
    stream->Finish(absl::UnavailableError("reset"));
    const std::size_t before = stub_->streams().size();
    executor_.AdvanceTime(expected - absl::Milliseconds(1));
    EXPECT_EQ(stub_->streams().size(), before) << "attempt " << i;
    executor_.AdvanceTime(absl::Milliseconds(1));
    ASSERT_EQ(stub_->streams().size(), before + 1) << "attempt " << i;
    expected = std::min(expected * 2, absl::Seconds(8));
  }
  session_->Shutdown(absl::ZeroDuration());
}

// Healthy while at least one stream is connected: the subscriber is then receiving; a stream that is
// down shows in the reason and the metrics.
TEST_F(SubscriptionSessionTest, HealthyWhileAtLeastOneStreamIsConnected) {
  StartSession(Options(2));
  EXPECT_FALSE(session_->IsHealthy());
  EXPECT_EQ(session_->Health().reason,
            "stream 0: connecting; stream 1: connecting; subscription projects/p/subscriptions/s");
  stub_->streams().at(0)->Establish();
  EXPECT_TRUE(session_->IsHealthy());
  EXPECT_TRUE(session_->Health().reason.empty());
  stub_->streams().at(1)->Establish();
  EXPECT_TRUE(session_->IsHealthy());
  EXPECT_EQ(session_->stats().streams_connected, 2);
  session_->Shutdown(absl::ZeroDuration());
  EXPECT_FALSE(session_->IsHealthy());
  EXPECT_EQ(session_->Health().reason, "subscriber stopped");
}

// A missing subscription: NOT_FOUND is permanent, so the subscriber is not healthy and says why, retries
// on the long backoff, reports each failure, and recovers once the server accepts the stream.
TEST_F(SubscriptionSessionTest, NotFoundIsReportedRetriedOnTheLongBackoffAndRecovers) {
  auto options = Options(1);
  options.reconnect_backoff = {absl::Milliseconds(100), absl::Seconds(60), 1.3, 0.0};
  options.permanent_failure_backoff = {absl::Seconds(10), absl::Minutes(5), 2.0, 0.0};
  std::vector<pubsub::StreamEvent> events;
  options.on_stream_event = [&](const pubsub::StreamEvent& e) { events.push_back(e); };
  StartSession(options);
  const absl::Status not_found = absl::NotFoundError("Subscription does not exist (resource=s)");
  stub_->streams().at(0)->CompleteInitialWrite();
  stub_->streams().at(0)->Finish(not_found);
  EXPECT_FALSE(session_->IsHealthy());
  EXPECT_EQ(session_->Health().reason,
            "stream 0: NOT_FOUND: Subscription does not exist (resource=s); subscription "
            "projects/p/subscriptions/s");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].connected);
  EXPECT_EQ(events[0].stream, 0);
  EXPECT_EQ(events[0].status, not_found);
  EXPECT_EQ(events[0].attempt, 1);
  EXPECT_TRUE(events[0].permanent);
  EXPECT_EQ(events[0].retry_in, absl::Seconds(10));
  // Not the short backoff: nothing before 10 s.
  executor_.AdvanceTime(absl::Seconds(10) - absl::Milliseconds(1));
  EXPECT_EQ(stub_->streams().size(), 1u);
  executor_.AdvanceTime(absl::Milliseconds(1));
  ASSERT_EQ(stub_->streams().size(), 2u);
  stub_->streams().at(1)->Finish(not_found);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].attempt, 2);
  EXPECT_EQ(events[1].retry_in, absl::Seconds(20));
  executor_.AdvanceTime(absl::Seconds(20));
  ASSERT_EQ(stub_->streams().size(), 3u);
  // The subscription now exists: the server accepts the stream.
  stub_->streams().at(2)->Establish();
  EXPECT_TRUE(session_->IsHealthy());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[2].connected);
  EXPECT_EQ(events[2].attempt, 2);
  session_->Shutdown(absl::ZeroDuration());
}

// The initial write completing is not acceptance: the emulator answers NOT_FOUND after it. Such a stream
// is never reported connected; one that stays open past the connect grace (an idle stream, no headers)
// is.
TEST_F(SubscriptionSessionTest, CompletedFirstWriteIsNotConnectedButAnIdleOpenStreamIsAfterTheGrace) {
  constexpr absl::Duration kGrace = absl::Seconds(2);  // StreamLoopOptions::connect_grace
  auto options = Options(1);
  int connected_events = 0;
  options.on_stream_event = [&](const pubsub::StreamEvent& e) { connected_events += e.connected ? 1 : 0; };
  StartSession(options);
  auto first = stub_->streams().at(0);
  first->CompleteInitialWrite();
  EXPECT_FALSE(session_->IsHealthy());
  executor_.AdvanceTime(kGrace / 2);
  first->Finish(absl::NotFoundError("Subscription does not exist"));
  executor_.AdvanceTime(kGrace);
  EXPECT_FALSE(session_->IsHealthy());
  EXPECT_EQ(connected_events, 0);
  executor_.AdvanceTime(absl::Seconds(10));
  ASSERT_EQ(stub_->streams().size(), 2u);
  auto idle = stub_->streams().at(1);
  idle->CompleteInitialWrite();
  executor_.AdvanceTime(kGrace - absl::Milliseconds(1));
  EXPECT_FALSE(session_->IsHealthy());
  executor_.AdvanceTime(absl::Milliseconds(1));
  EXPECT_TRUE(session_->IsHealthy());
  EXPECT_EQ(connected_events, 1);
  session_->Shutdown(absl::ZeroDuration());
}

// A stream the server never visibly accepted (no headers, no response; connected only by the grace) that
// fails a few seconds later -- an L7 proxy that takes the HTTP/2 stream and answers UNAVAILABLE after 5 s --
// is a failed attempt: it backs off, the backoff grows, and its failures count up. Only such a stream that
// lived kGraceHealthyLifetime is healthy and reopened at once.
TEST_F(SubscriptionSessionTest, AStreamConnectedOnlyByTheGraceIsHealthyOnlyAfterALongLife) {
  constexpr absl::Duration kProxyFailsAfter = absl::Seconds(5);
  constexpr absl::Duration kGraceHealthyLifetime = absl::Seconds(30);  // StreamLoopOptions
  auto options = Options(1);
  options.reconnect_backoff = {absl::Seconds(1), absl::Seconds(8), 2.0, 0.0};
  std::vector<pubsub::StreamEvent> events;
  options.on_stream_event = [&](const pubsub::StreamEvent& e) {
    if (!e.connected) events.push_back(e);
  };
  StartSession(options);
  absl::Duration expected = absl::Seconds(1);
  for (int i = 0; i < 3; ++i) {
    auto stream = stub_->streams().back();
    stream->CompleteInitialWrite();
    executor_.AdvanceTime(kProxyFailsAfter);
    EXPECT_TRUE(session_->IsHealthy()) << "attempt " << i;  // the readiness grace still applies
    stream->Finish(absl::UnavailableError("upstream connect error"));
    const std::size_t before = stub_->streams().size();
    executor_.RunReady();
    EXPECT_EQ(stub_->streams().size(), before) << "attempt " << i;
    ASSERT_EQ(events.size(), static_cast<std::size_t>(i + 1));
    EXPECT_EQ(events.back().attempt, i + 1);
    EXPECT_EQ(events.back().retry_in, expected);
    executor_.AdvanceTime(expected);
    ASSERT_EQ(stub_->streams().size(), before + 1) << "attempt " << i;
    expected *= 2;
  }
  // One that stays open long enough served: reopened at once, backoff reset.
  auto long_lived = stub_->streams().back();
  long_lived->CompleteInitialWrite();
  executor_.AdvanceTime(kGraceHealthyLifetime);
  long_lived->Finish(absl::UnavailableError("server closed the stream"));
  const std::size_t before = stub_->streams().size();
  executor_.RunReady();
  EXPECT_EQ(stub_->streams().size(), before + 1);
  EXPECT_EQ(events.back().retry_in, absl::ZeroDuration());
  session_->Shutdown(absl::ZeroDuration());
}

// A permanent code never reopens at once, even after a stream the server accepted served for long: it waits
// the long backoff (IAM revoked, subscription deleted).
TEST_F(SubscriptionSessionTest, APermanentCodeAfterAHealthyStreamWaitsTheLongBackoff) {
  auto options = Options(1);
  options.permanent_failure_backoff = {absl::Seconds(10), absl::Minutes(5), 2.0, 0.0};
  std::vector<pubsub::StreamEvent> events;
  options.on_stream_event = [&](const pubsub::StreamEvent& e) {
    if (!e.connected) events.push_back(e);
  };
  StartSession(options);
  auto stream = stub_->streams().at(0);
  stream->Establish();
  executor_.AdvanceTime(absl::Minutes(5));
  stream->Finish(absl::PermissionDeniedError("missing pubsub.subscriptions.consume"));
  executor_.RunReady();
  EXPECT_EQ(stub_->streams().size(), 1u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].permanent);
  EXPECT_EQ(events[0].retry_in, absl::Seconds(10));
  executor_.AdvanceTime(absl::Seconds(10));
  EXPECT_EQ(stub_->streams().size(), 2u);
  session_->Shutdown(absl::ZeroDuration());
}

// A response read after the streams were stopped does not mark the stream connected again.
TEST_F(SubscriptionSessionTest, AResponseReadAfterStopDoesNotConnectTheStream) {
  auto options = Options(1);
  int connected_events = 0;
  options.on_stream_event = [&](const pubsub::StreamEvent& e) { connected_events += e.connected ? 1 : 0; };
  StartSession(options);
  auto stream = stub_->streams().at(0);
  session_->StopReceiving();
  stream->Establish();
  stream->Deliver(Response({}));
  EXPECT_EQ(connected_events, 0);
  EXPECT_EQ(session_->stats().streams_connected, 0);
  session_->Shutdown(absl::ZeroDuration());
}

// The session's hooks are not called once it is shut down, and Close() waits for a call in progress: the
// hooks' owner may be destroyed after Shutdown() even while gRPC callbacks still hold the session.
TEST(SessionHooksTest, NoCallReachesTheHooksAfterClose) {
  int stream_events = 0;
  int ack_failures = 0;
  SessionHooks hooks([&](const pubsub::StreamEvent&) { ++stream_events; },
                     [&](const pubsub::AckFailureEvent&) { ++ack_failures; });
  hooks.OnStreamEvent(pubsub::StreamEvent{});
  hooks.OnAckFailure(pubsub::AckFailureEvent{});
  EXPECT_EQ(stream_events, 1);
  EXPECT_EQ(ack_failures, 1);
  hooks.Close();
  hooks.OnStreamEvent(pubsub::StreamEvent{});
  hooks.OnAckFailure(pubsub::AckFailureEvent{});
  EXPECT_EQ(stream_events, 1);
  EXPECT_EQ(ack_failures, 1);
}

TEST(SessionHooksTest, CloseWaitsForACallInProgress) {
  constexpr absl::Duration kWait = absl::Seconds(10);
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> returned{false};
  SessionHooks hooks(
      [&](const pubsub::StreamEvent&) {
        entered.Notify();
        release.WaitForNotificationWithTimeout(kWait);
        returned = true;
      },
      nullptr);
  std::thread caller([&] { hooks.OnStreamEvent(pubsub::StreamEvent{}); });
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(kWait));
  std::thread closer([&] {
    hooks.Close();
    EXPECT_TRUE(returned);
  });
  release.Notify();
  closer.join();
  caller.join();
}

// An ack that finally fails (a permanent code, or transient ones past the lease step) is reported.
TEST_F(SubscriptionSessionTest, FinallyFailedAcksAreReportedAndCounted) {
  auto options = Options(1);
  std::vector<pubsub::AckFailureEvent> failures;
  options.on_ack_failure = [&](const pubsub::AckFailureEvent& e) { failures.push_back(e); };
  StartSession(options);
  auto stream = stub_->streams().at(0);
  stream->Establish();
  stream->Deliver(Response({"a", "b"}));
  executor_.RunReady();
  ASSERT_EQ(handles_.size(), 2u);
  stub_->FailNextRpcs({absl::InvalidArgumentError("ack id expired")});
  std::move(handles_[0]).Ack();
  std::move(handles_[1]).Ack();
  executor_.AdvanceTime(kAckFlush);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].rpc, pubsub::AckFailureEvent::Rpc::kAcknowledge);
  EXPECT_EQ(failures[0].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(failures[0].ack_ids, 2);
  EXPECT_EQ(session_->stats().ack_ids_failed, 2);
  session_->Shutdown(absl::ZeroDuration());
}

// Transient ack failures are retried while the lease step lasts (the deadline the message last got),
// then reported.
TEST_F(SubscriptionSessionTest, TransientAckFailuresAreRetriedForTheLeaseStepThenReported) {
  auto options = Options(1);  // lease_extension_step 10 s
  std::vector<pubsub::AckFailureEvent> failures;
  options.on_ack_failure = [&](const pubsub::AckFailureEvent& e) { failures.push_back(e); };
  StartSession(options);
  auto stream = stub_->streams().at(0);
  stream->Establish();
  stream->Deliver(Response({"a"}));
  executor_.RunReady();
  stub_->FailNextRpcs(std::vector<absl::Status>(100, absl::UnavailableError("down")));
  std::move(handles_[0]).Ack();
  executor_.AdvanceTime(kAckFlush);
  executor_.AdvanceTime(absl::Seconds(5));
  EXPECT_TRUE(failures.empty()) << "gave up within the lease step";
  executor_.AdvanceTime(absl::Seconds(10));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_GT(stub_->acks().size(), 2u);
  session_->Shutdown(absl::ZeroDuration());
}

// The queue of messages waiting for flow control is bounded: at max_outstanding_messages waiting,
// reading pauses on every stream (and on a stream opened meanwhile); it resumes at half of that.
TEST_F(SubscriptionSessionTest, ReadingPausesWhileTooManyMessagesWait) {
  auto options = Options(2);
  options.max_outstanding_messages = 4;
  StartSession(options);
  auto s0 = stub_->streams().at(0);
  auto s1 = stub_->streams().at(1);
  s0->Establish();
  s1->Establish();
  s0->Deliver(Response({"a", "b", "c", "d", "e", "f", "g"}));  // 4 admitted, 3 waiting
  executor_.RunReady();
  EXPECT_FALSE(s0->reading_paused());
  s1->Deliver(Response({"h"}));  // 4 waiting
  executor_.RunReady();
  EXPECT_TRUE(s0->reading_paused());
  EXPECT_TRUE(s1->reading_paused());
  EXPECT_EQ(session_->stats().messages_waiting, 4);
  EXPECT_TRUE(session_->stats().reading_paused);
  // A stream reopened while paused starts paused.
  s1->Finish(absl::UnavailableError("closed"));
  executor_.AdvanceTime(absl::Seconds(5));
  ASSERT_EQ(stub_->streams().size(), 3u);
  EXPECT_TRUE(stub_->streams().at(2)->reading_paused());
  std::move(handles_[0]).Ack();  // 3 waiting: still above half
  executor_.RunReady();
  EXPECT_TRUE(s0->reading_paused());
  std::move(handles_[1]).Ack();  // 2 waiting: resume
  executor_.RunReady();
  EXPECT_FALSE(s0->reading_paused());
  EXPECT_FALSE(stub_->streams().at(2)->reading_paused());
  EXPECT_FALSE(session_->stats().reading_paused);
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, WatchdogCancelsAStreamWhoseWritesHang) {
  auto options = Options(1);
  options.heartbeat_interval = absl::Seconds(30);
  options.watchdog_timeout = absl::Seconds(60);
  StartSession(options);
  auto stream = stub_->streams().at(0);
  stream->HoldWrites();
  stream->Establish();
  stream->CompleteWrite(true);  // the initial request went through
  executor_.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(stream->writes(), 1u);  // heartbeat written, never completes
  executor_.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(stream->cancels(), 0);
  executor_.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(stream->cancels(), 1);
  executor_.RunReady();
  EXPECT_EQ(stub_->streams().size(), 2u);  // reopened
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, HeartbeatsKeepAHealthyStreamOpen) {
  StartSession(Options(1));
  auto stream = stub_->streams().at(0);
  stream->Establish();
  stream->CompleteWrite(true);
  executor_.AdvanceTime(absl::Minutes(5));
  EXPECT_EQ(stream->writes(), 10u);
  EXPECT_EQ(stream->cancels(), 0);
  session_->Shutdown(absl::ZeroDuration());
}

TEST_F(SubscriptionSessionTest, FlowControlHoldsMessagesAndShutdownNacksEverythingUnsettled) {
  auto options = Options(1);
  options.max_outstanding_messages = 2;
  StartSession(options);
  auto stream = stub_->streams().at(0);
  stream->Deliver(Response({"a", "b", "c", "d"}));
  executor_.RunReady();
  ASSERT_EQ(received_.size(), 2u);
  EXPECT_EQ(session_->stats().messages_waiting, 2);
  std::move(handles_[0]).Ack();
  executor_.RunReady();
  ASSERT_EQ(received_.size(), 3u);  // "c" admitted when "a" settled
  session_->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(stream->cancels(), 1);
  std::vector<std::string> nacked;
  for (const auto& r : stub_->modacks()) {
    if (r.ack_deadline_seconds() == 0) nacked.insert(nacked.end(), r.ack_ids().begin(), r.ack_ids().end());
  }
  EXPECT_THAT(nacked, UnorderedElementsAre("b", "c", "d"));
  EXPECT_THAT(stub_->acked_ids(), ElementsAre("a"));
  // Settling after shutdown does nothing.
  std::move(handles_[1]).Ack();
  executor_.RunReady();
  EXPECT_THAT(stub_->acked_ids(), ElementsAre("a"));
}

// Stopping half-closes every stream (the emulator keeps feeding a cancelled stream's messages to
// nobody); only a stream the server has not ended within the close timeout is cancelled, and neither
// is reopened.
TEST_F(SubscriptionSessionTest, StopHalfClosesStreamsAndCancelsOnlyOnesStillOpenAfterTheCloseTimeout) {
  StartSession(Options(2));
  auto ended = stub_->streams().at(0);
  auto lingering = stub_->streams().at(1);
  ended->Establish();
  lingering->Establish();
  session_->StopReceiving();
  EXPECT_EQ(ended->closes(), 1);
  EXPECT_EQ(lingering->closes(), 1);
  EXPECT_EQ(ended->cancels() + lingering->cancels(), 0);
  ended->Finish(absl::OkStatus());  // the server ends the half-closed call
  executor_.AdvanceTime(absl::Milliseconds(999));
  EXPECT_EQ(lingering->cancels(), 0);
  executor_.AdvanceTime(absl::Milliseconds(1));
  EXPECT_EQ(ended->cancels(), 0);
  EXPECT_EQ(lingering->cancels(), 1);
  executor_.RunReady();
  EXPECT_EQ(stub_->streams().size(), 2u);
  session_->Shutdown(absl::ZeroDuration());
}

// Shutdown does not wait past its deadline for a half-closed stream: it cancels it and nacks.
TEST_F(SubscriptionSessionTest, ShutdownCancelsAStreamStillOpenAtItsDeadline) {
  StartSession(Options(1));
  auto stream = stub_->streams().at(0);
  stream->Establish();
  stream->Deliver(Response({"held"}));
  executor_.RunReady();
  ASSERT_EQ(received_.size(), 1u);
  session_->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(stream->closes(), 1);
  EXPECT_EQ(stream->cancels(), 1);
  ASSERT_FALSE(stub_->modacks().empty());
  EXPECT_EQ(stub_->modacks().back().ack_deadline_seconds(), 0);
  EXPECT_THAT(stub_->modacks().back().ack_ids(), ElementsAre("held"));
}

TEST_F(SubscriptionSessionTest, MessagesArrivingAfterStopReceivingAreHandedBack) {
  StartSession(Options(1));
  auto stream = stub_->streams().at(0);
  session_->StopReceiving();
  stream->Deliver(Response({"late"}));
  executor_.AdvanceTime(kAckFlush);
  EXPECT_THAT(received_, IsEmpty());
  ASSERT_EQ(stub_->modacks().size(), 1u);
  EXPECT_THAT(stub_->modacks()[0].ack_ids(), ElementsAre("late"));
  session_->Shutdown(absl::ZeroDuration());
}

}  // namespace
}  // namespace schedsvc::pubsub_internal
