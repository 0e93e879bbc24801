#include "src/pubsub/subscriber.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/common/thread_executor.h"
#include "src/pubsub/internal/owner_thread_destruction.h"
#include "src/pubsub/internal/subscription_session.h"
#include "src/pubsub/limits.h"
#include "src/pubsub/resource_names.h"

namespace schedsvc::pubsub {
namespace {

constexpr int kMaxStreams = 64;
constexpr absl::Duration kMinExtensionStep = kMinAckDeadline;
constexpr absl::Duration kMaxExtensionStep = kMaxAckDeadline;

// Longest the destructor waits for gRPC callbacks to let go of the stub.
constexpr absl::Duration kReleaseTimeout = absl::Seconds(10);

// The production Subscriber: a session over gRPC with its own clock and executor threads. Its timers (ack
// flush, lease refresh, backoffs, reconnects, watchdog) run on the monotonic clock, so a wall-clock step
// cannot move them; gRPC call deadlines are gRPC's own.
class DefaultSubscriber final : public Subscriber {
 public:
  DefaultSubscriber(SubscriberOptions options, ConnectionOptions connection)
      : executor_(clock_, options.executor_threads),
        stub_(pubsub_internal::MakeGrpcSubscriberStub(connection)),
        session_(pubsub_internal::SubscriptionSession::Make(std::move(options), stub_.shared(), executor_, clock_)) {}

  // After Shutdown, a gRPC callback that is still returning may hold the last reference to the session or
  // to a part of it that holds the stub (a completed ack RPC's callback holds the ack batcher; a stream's
  // callback locks the stream loop). Whoever destroyed the stub would destroy its channels, and on a gRPC
  // callback thread gRPC 1.51 aborts (`ref_counted.h: assertion failed: prior > 0`). So the session and its
  // parts hold only references that signal their release (OwnerThreadDestruction), and the stub is
  // destroyed here, on the owner's thread, once the last of them is gone.
  ~DefaultSubscriber() override {
    session_->Shutdown(absl::Seconds(10));
    executor_.Shutdown();
    session_.reset();
    stub_.Destroy(kReleaseTimeout);
  }

  void Start(Handler handler) override { session_->Start(std::move(handler)); }
  void StopReceiving() override { session_->StopReceiving(); }
  void Shutdown(absl::Duration timeout) override { session_->Shutdown(timeout); }
  bool IsHealthy() const override { return session_->IsHealthy(); }
  SubscriberHealth Health() const override { return session_->Health(); }
  SubscriberStats stats() const override { return session_->stats(); }

 private:
  SteadyClock clock_;
  ThreadExecutor executor_;
  pubsub_internal::OwnerThreadDestruction<pubsub_internal::SubscriberStub> stub_;
  std::shared_ptr<pubsub_internal::SubscriptionSession> session_;
};

}  // namespace

absl::Status ValidateSubscriberOptions(const SubscriberOptions& options) {
  if (auto parsed = ParseSubscriptionName(options.subscription); !parsed.ok()) return parsed.status();
  if (options.streams < 1 || options.streams > kMaxStreams) {
    return absl::InvalidArgumentError(absl::StrCat("streams must be between 1 and 64, got ", options.streams));
  }
  if (options.max_outstanding_messages < 1) {
    return absl::InvalidArgumentError("max_outstanding_messages must be at least 1");
  }
  if (options.max_outstanding_bytes < 1) {
    return absl::InvalidArgumentError("max_outstanding_bytes must be at least 1");
  }
  if (options.lease_extension_step < kMinExtensionStep || options.lease_extension_step > kMaxExtensionStep) {
    return absl::InvalidArgumentError("lease_extension_step must be between 10s and 600s");
  }
  if (options.max_lease_extension < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("max_lease_extension must not be negative");
  }
  if (options.executor_threads < 1) return absl::InvalidArgumentError("executor_threads must be at least 1");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Subscriber>> MakeSubscriber(SubscriberOptions options,
                                                           ConnectionOptions connection) {
  if (auto s = ValidateSubscriberOptions(options); !s.ok()) return s;
  return std::unique_ptr<Subscriber>(new DefaultSubscriber(std::move(options), std::move(connection)));
}

}  // namespace schedsvc::pubsub
