#include "src/pubsub/subscriber.h"

#include "absl/strings/str_cat.h"
#include "src/common/thread_executor.h"
#include "src/pubsub/internal/subscription_session.h"
#include "src/pubsub/resource_names.h"

namespace schedsvc::pubsub {
namespace {

constexpr int kMaxStreams = 64;
constexpr absl::Duration kMinExtensionStep = absl::Seconds(10);
constexpr absl::Duration kMaxExtensionStep = absl::Seconds(600);

// The production Subscriber: a session over gRPC with its own clock and executor threads.
class DefaultSubscriber final : public Subscriber {
 public:
  DefaultSubscriber(SubscriberOptions options, ConnectionOptions connection)
      : executor_(clock_, options.executor_threads),
        session_(pubsub_internal::SubscriptionSession::Make(
            std::move(options), pubsub_internal::MakeGrpcSubscriberStub(connection), executor_, clock_)) {}

  ~DefaultSubscriber() override {
    session_->Shutdown(absl::Seconds(10));
    executor_.Shutdown();
  }

  void Start(Handler handler) override { session_->Start(std::move(handler)); }
  void StopReceiving() override { session_->StopReceiving(); }
  void Shutdown(absl::Duration timeout) override { session_->Shutdown(timeout); }
  bool IsHealthy() const override { return session_->IsHealthy(); }
  SubscriberStats stats() const override { return session_->stats(); }

 private:
  SystemClock clock_;
  ThreadExecutor executor_;
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
