#include "src/pubsub/publisher.h"

#include <grpcpp/grpcpp.h>

#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/pubsub/v1/pubsub.grpc.pb.h"
#include "src/common/clock.h"
#include "src/common/status.h"
#include "src/common/thread_executor.h"
#include "src/pubsub/internal/grpc_status.h"
#include "src/pubsub/limits.h"
#include "src/pubsub/resource_names.h"

namespace schedsvc::pubsub {
namespace {

namespace v1 = ::google::pubsub::v1;

constexpr int kMaxMessagesPerRequest = kMaxPublishRequestMessages;
constexpr std::size_t kMaxBytesPerRequest = kMaxPublishRequestBytes;

using Callback = Publisher::Callback;

// One Publish RPC's worth of messages and the callbacks waiting on them.
struct Batch {
  v1::PublishRequest request;
  std::vector<Callback> callbacks;
  std::size_t bytes = 0;
  absl::Time first_attempt;
  std::unique_ptr<ExponentialBackoff> backoff;
};

std::size_t MessageBytes(const OutgoingMessage& m) {
  std::size_t n = m.data.size() + m.ordering_key.size();
  for (const auto& [k, v] : m.attributes) n += k.size() + v.size();
  return n;
}

class BatchingPublisher final : public Publisher {
 public:
  BatchingPublisher(PublisherOptions options, ConnectionOptions connection)
      : options_(std::move(options)),
        connection_(std::move(connection)),
        stub_(v1::Publisher::NewStub(MakeChannel(connection_))),
        executor_(clock_, 1) {}

  ~BatchingPublisher() override { Shutdown(); }

  using Publisher::Publish;

  void Publish(OutgoingMessage message, Callback done) override {
    std::vector<std::unique_ptr<Batch>> ready;
    Callback rejected;
    {
      absl::MutexLock lock(&mu_);
      if (shutdown_) {
        rejected = std::move(done);
      } else {
        AddLocked(std::move(message), std::move(done), ready);
      }
    }
    if (rejected) rejected(absl::CancelledError("publisher is shut down"));
    for (auto& batch : ready) Send(std::move(batch));
  }

 private:
  void AddLocked(OutgoingMessage message, Callback done, std::vector<std::unique_ptr<Batch>>& ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    {
      const std::size_t bytes = MessageBytes(message);
      if (current_ && current_->bytes + bytes > options_.max_batch_bytes) ready.push_back(TakeBatchLocked());
      if (!current_) StartBatchLocked();
      v1::PubsubMessage* m = current_->request.add_messages();
      m->set_data(std::move(message.data));
      for (auto& [k, v] : message.attributes) (*m->mutable_attributes())[k] = std::move(v);
      m->set_ordering_key(std::move(message.ordering_key));
      current_->callbacks.push_back(std::move(done));
      current_->bytes += bytes;
      if (static_cast<int>(current_->callbacks.size()) >= options_.max_batch_messages ||
          current_->bytes >= options_.max_batch_bytes) {
        ready.push_back(TakeBatchLocked());
      }
    }
  }

 public:

  void Flush() override {
    std::unique_ptr<Batch> ready;
    {
      absl::MutexLock lock(&mu_);
      if (current_) ready = TakeBatchLocked();
    }
    if (ready) Send(std::move(ready));
  }

  void Shutdown() override {
    std::unique_ptr<Batch> ready;
    {
      absl::MutexLock lock(&mu_);
      if (shutdown_) return;
      shutdown_ = true;
      if (current_) ready = TakeBatchLocked();
    }
    if (ready) Send(std::move(ready));
    {
      absl::MutexLock lock(&mu_);
      auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return outstanding_ == 0; };
      mu_.Await(absl::Condition(&idle));
    }
    executor_.Shutdown();
  }

 private:
  // Opens a new batch and arms its max_batch_delay timer.
  void StartBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    current_ = std::make_unique<Batch>();
    current_->request.set_topic(options_.topic);
    const std::uint64_t generation = ++generation_;
    flush_timer_ = executor_.RunAfter(options_.max_batch_delay, [this, generation] {
      std::unique_ptr<Batch> due;
      {
        absl::MutexLock l(&mu_);
        if (generation_ == generation && current_) due = TakeBatchLocked();
      }
      if (due) Send(std::move(due));
    });
  }

  // Closes the current batch for sending; the caller sends it after releasing the lock.
  std::unique_ptr<Batch> TakeBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (flush_timer_ != 0) executor_.Cancel(flush_timer_);
    flush_timer_ = 0;
    ++generation_;
    ++outstanding_;
    current_->first_attempt = clock_.Now();
    current_->backoff = std::make_unique<ExponentialBackoff>(options_.retry_backoff);
    return std::move(current_);
  }

  void Send(std::unique_ptr<Batch> batch) {
    struct Call {
      grpc::ClientContext context;
      v1::PublishResponse response;
      std::unique_ptr<Batch> batch;
    };
    auto call = std::make_shared<Call>();
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoMilliseconds(connection_.rpc_timeout));
    call->batch = std::move(batch);
    // The call state (its ClientContext holds a channel reference) is destroyed before OnDone can let
    // Shutdown return: the channel must be released by the publisher's owner, never inside a gRPC
    // callback (there ~Channel trips gRPC 1.51's `ref_counted.h: prior > 0` assertion).
    stub_->async()->Publish(&call->context, &call->batch->request, &call->response,
                            [this, call](grpc::Status grpc_status) mutable {
                              std::unique_ptr<Batch> batch = std::move(call->batch);
                              v1::PublishResponse response = std::move(call->response);
                              call.reset();
                              OnDone(batch, response, pubsub_internal::FromGrpc(grpc_status));
                            });
  }

  void OnDone(std::unique_ptr<Batch>& batch, const v1::PublishResponse& response, absl::Status status) {
    if (status.ok() && response.message_ids_size() != static_cast<int>(batch->callbacks.size())) {
      status = absl::InternalError(absl::StrCat("Publish returned ", response.message_ids_size(), " ids for ",
                                                batch->callbacks.size(), " messages"));
    }
    if (!status.ok() && IsTransient(status.code())) {
      absl::Duration delay;
      {
        // Publish callbacks of different batches run on different gRPC threads; they share the generator.
        absl::MutexLock lock(&mu_);
        delay = batch->backoff->NextDelay(gen_);
      }
      if (clock_.Now() + delay - batch->first_attempt <= options_.retry_budget) {
        auto shared = std::make_shared<std::unique_ptr<Batch>>(std::move(batch));
        if (executor_.RunAfter(delay, [this, shared] { Send(std::move(*shared)); }) != 0) return;
        batch = std::move(*shared);
      }
    }
    for (std::size_t i = 0; i < batch->callbacks.size(); ++i) {
      if (status.ok()) {
        batch->callbacks[i](response.message_ids(static_cast<int>(i)));
      } else {
        batch->callbacks[i](status);
      }
    }
    absl::MutexLock lock(&mu_);
    --outstanding_;
  }

  const PublisherOptions options_;
  const ConnectionOptions connection_;
  // Retry budgets and batch timers: monotonic.
  SteadyClock clock_;
  std::unique_ptr<v1::Publisher::Stub> stub_;
  absl::Mutex mu_;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Batch> current_ ABSL_GUARDED_BY(mu_);
  TimerId flush_timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  ThreadExecutor executor_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Publisher>> MakePublisher(PublisherOptions options, ConnectionOptions connection) {
  if (auto parsed = ParseTopicName(options.topic); !parsed.ok()) return parsed.status();
  if (options.max_batch_messages < 1 || options.max_batch_messages > kMaxMessagesPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat("max_batch_messages must be between 1 and ", kMaxMessagesPerRequest));
  }
  if (options.max_batch_bytes < 1 || options.max_batch_bytes > kMaxBytesPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat("max_batch_bytes must be between 1 and ", kMaxBytesPerRequest));
  }
  if (options.max_batch_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("max_batch_delay must not be negative");
  }
  return std::unique_ptr<Publisher>(new BatchingPublisher(std::move(options), std::move(connection)));
}

}  // namespace schedsvc::pubsub
