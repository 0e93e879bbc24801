// SubscriptionSession: wires the subscriber pipeline (see src/pubsub/subscriber.h) and owns its
// shutdown: stop the streams, nack what waits for flow control, nack what is still leased, wait for the
// ack RPCs. Dependencies (stub, executor, clock) are injected so unit tests drive it with a fake stub and
// a FakeExecutor. It also bounds the messages waiting for flow control: at `max_outstanding_messages`
// waiting, reading from every stream pauses until they are down to half that. Thread-safe. Create with
// Make(); the session must be Shutdown() before destruction. Once Shutdown() has returned, the
// `on_stream_event` and `on_ack_failure` hooks are no longer called.
#ifndef SCHEDSVC_PUBSUB_INTERNAL_SUBSCRIPTION_SESSION_H_
#define SCHEDSVC_PUBSUB_INTERNAL_SUBSCRIPTION_SESSION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "src/common/clock.h"
#include "src/common/executor.h"
#include "src/pubsub/ack_handle.h"
#include "src/pubsub/internal/ack_batcher.h"
#include "src/pubsub/internal/flow_controller.h"
#include "src/pubsub/internal/lease_manager.h"
#include "src/pubsub/internal/stream_loop.h"
#include "src/pubsub/internal/subscriber_stub.h"
#include "src/pubsub/subscriber.h"

namespace schedsvc::pubsub_internal {

// The session's observer hooks (SubscriberOptions::on_stream_event, on_ack_failure). Once Close() has run,
// no call reaches them, and Close() returns only after calls in progress have returned: the hooks' owner
// may be destroyed after the session's Shutdown() even while gRPC callbacks still hold the session. A
// hook must not shut the session down. Thread-safe.
class SessionHooks {
 public:
  SessionHooks(std::function<void(const schedsvc::pubsub::StreamEvent&)> on_stream_event,
               std::function<void(const schedsvc::pubsub::AckFailureEvent&)> on_ack_failure);

  void OnStreamEvent(const schedsvc::pubsub::StreamEvent& event);
  void OnAckFailure(const schedsvc::pubsub::AckFailureEvent& event);
  void Close();

 private:
  // Returns false once closed; otherwise the caller calls the hook, then Leave().
  bool Enter();
  void Leave();

  const std::function<void(const schedsvc::pubsub::StreamEvent&)> on_stream_event_;
  const std::function<void(const schedsvc::pubsub::AckFailureEvent&)> on_ack_failure_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int in_progress_ ABSL_GUARDED_BY(mu_) = 0;
};

class SubscriptionSession : public schedsvc::pubsub::internal::AckHandleImpl,
                            public std::enable_shared_from_this<SubscriptionSession> {
 public:
  static std::shared_ptr<SubscriptionSession> Make(schedsvc::pubsub::SubscriberOptions options,
                                                   std::shared_ptr<SubscriberStub> stub, Executor& executor,
                                                   Clock& clock);

  void Start(schedsvc::pubsub::Subscriber::Handler handler);
  void StopReceiving();
  void Shutdown(absl::Duration timeout);
  bool IsHealthy() const;
  schedsvc::pubsub::SubscriberHealth Health() const;
  schedsvc::pubsub::SubscriberStats stats() const;

  // AckHandleImpl
  void Ack(const std::string& ack_id) override;
  void Nack(const std::string& ack_id, absl::Duration delay) override;

 private:
  SubscriptionSession(schedsvc::pubsub::SubscriberOptions options, std::shared_ptr<SubscriberStub> stub,
                      Executor& executor, Clock& clock);
  // A message admitted by flow control, on its way to the handler.
  struct Delivery {
    std::shared_ptr<schedsvc::pubsub::Message> message;
    std::string ack_id;
  };
  void OnResponse(google::pubsub::v1::StreamingPullResponse response);
  // Hands a response's admitted messages to the handler in one task per executor thread; the tasks take
  // the messages in order from the shared batch.
  void DeliverAdmitted(std::vector<Delivery> admitted);
  void Settle(const std::string& ack_id);
  // Pauses or resumes reading from the streams per the number of messages waiting for flow control.
  void UpdateReading();

  const schedsvc::pubsub::SubscriberOptions options_;
  std::shared_ptr<SubscriberStub> stub_;
  Executor& executor_;
  Clock& clock_;
  std::shared_ptr<AckBatcher> batcher_;
  std::shared_ptr<LeaseManager> leases_;
  FlowController flow_;
  // Shared with the stream loops' and the ack batcher's callbacks; closed at the end of Shutdown().
  std::shared_ptr<SessionHooks> hooks_;
  std::vector<std::shared_ptr<StreamLoop>> streams_;
  schedsvc::pubsub::Subscriber::Handler handler_;
  std::atomic<std::int64_t> received_{0};
  std::atomic<bool> receiving_{false};
  std::atomic<bool> shut_down_{false};
  // Serialises pause/resume decisions with their application to the streams (StreamLoop and stream
  // Pause/ResumeReading never call back).
  absl::Mutex reading_mu_;
  bool reading_paused_ ABSL_GUARDED_BY(reading_mu_) = false;
  std::atomic<bool> reading_paused_snapshot_{false};
  // What AckHandles hold: a forwarder with a weak reference, so handles kept after the subscriber is
  // destroyed do not keep its channels (and thus its connection to the server) alive.
  std::shared_ptr<schedsvc::pubsub::internal::AckHandleImpl> ack_forwarder_;
};

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_SUBSCRIPTION_SESSION_H_
