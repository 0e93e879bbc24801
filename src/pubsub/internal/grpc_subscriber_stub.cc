#include <grpcpp/grpcpp.h>

#include <chrono>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "google/pubsub/v1/pubsub.grpc.pb.h"
#include "src/pubsub/internal/grpc_status.h"
#include "src/pubsub/internal/subscriber_stub.h"

namespace schedsvc::pubsub_internal {
namespace {

namespace v1 = ::google::pubsub::v1;

// A StreamingPull call as a gRPC callback reactor. The reactor keeps itself alive (self_) from Start()
// until OnDone, so the owner may drop its reference at any time.
//
// Lifetime rule shared by every call in this file: the call's grpc::ClientContext (which holds a
// reference to the channel) is destroyed *before* the owner is told the call finished. The owner may
// then destroy the stub at once, and the last reference to the channel is dropped in the owner's
// thread; dropped inside a gRPC callback instead, ~Channel runs on the channel's own callback thread
// and gRPC 1.51 aborts with `ref_counted.h: assertion failed: prior > 0`.
class GrpcStreamingPullStream final : public StreamingPullStream,
                                      public grpc::ClientBidiReactor<v1::StreamingPullRequest,
                                                                     v1::StreamingPullResponse>,
                                      public std::enable_shared_from_this<GrpcStreamingPullStream> {
 public:
  explicit GrpcStreamingPullStream(v1::Subscriber::Stub* stub) : stub_(stub) {}

  void Start(v1::StreamingPullRequest initial, Callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    self_ = shared_from_this();
    {
      absl::MutexLock lock(&mu_);
      write_buffer_ = std::move(initial);
      writing_ = true;
      started_ = true;
    }
    stub_->async()->StreamingPull(context_.get(), this);
    StartWrite(&write_buffer_);
    StartRead(&read_buffer_);
    // Heartbeats and the half-close are started from other threads; the hold keeps the call from
    // finishing under them. It is released once reading has ended and neither a write nor WritesDone is
    // outstanding.
    AddHold();
    StartCall();
  }

  bool Write(v1::StreamingPullRequest request) override {
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || closing_ || read_done_ || done_) return false;
      writing_ = true;
      write_buffer_ = std::move(request);
    }
    StartWrite(&write_buffer_);
    return true;
  }

  // WritesDone may not overlap a write (while one is outstanding, or before Start() has written the
  // initial request, it is issued from OnWriteDone), and is pointless once reading has ended (the call
  // is over; starting an operation then could race OnDone).
  void Close() override {
    bool unpark = false;
    bool writes_done = false;
    {
      absl::MutexLock lock(&mu_);
      if (closing_ || read_done_ || done_) return;
      closing_ = true;
      // The server ends the call after the half-close; a read must be outstanding to see that.
      reading_paused_ = false;
      unpark = std::exchange(read_parked_, false);
      if (writing_ || !started_) {
        close_after_write_ = true;
      } else {
        writes_done_pending_ = true;
        writes_done = true;
      }
    }
    // The hold keeps the call alive until both are issued.
    if (writes_done) StartWritesDone();
    if (unpark) StartRead(&read_buffer_);
  }

  // TryCancel on a call that has already completed would touch call state gRPC frees after OnDone, so
  // cancelling and OnDone are serialised: once OnDone has begun, Cancel does nothing.
  // A parked read is started again, so the call can end (the hold is released once reading ends).
  void Cancel() override {
    {
      absl::MutexLock lock(&mu_);
      if (done_) return;
      context_->TryCancel();
      reading_paused_ = false;
      if (!std::exchange(read_parked_, false)) return;
    }
    StartRead(&read_buffer_);
  }

  void PauseReading() override {
    absl::MutexLock lock(&mu_);
    if (closing_ || done_) return;
    reading_paused_ = true;
  }

  void ResumeReading() override {
    {
      absl::MutexLock lock(&mu_);
      reading_paused_ = false;
      if (!std::exchange(read_parked_, false)) return;
    }
    StartRead(&read_buffer_);
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (ok) MarkEstablished();
  }

  void OnWriteDone(bool ok) override {
    bool release = false;
    bool close = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (std::exchange(close_after_write_, false) && !read_done_) {
        close = true;
        writes_done_pending_ = true;
      }
      if (!writes_done_pending_) release = std::exchange(release_pending_, false);
    }
    // A completed write is not acceptance: the server may still answer NOT_FOUND or PERMISSION_DENIED.
    if (callbacks_.on_write_done) callbacks_.on_write_done(ok);
    if (close) StartWritesDone();
    if (release) RemoveHold();
  }

  void OnWritesDoneDone(bool /*ok*/) override {
    bool release = false;
    {
      absl::MutexLock lock(&mu_);
      writes_done_pending_ = false;
      if (!writing_) release = std::exchange(release_pending_, false);
    }
    if (release) RemoveHold();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      {
        absl::MutexLock lock(&mu_);
        read_done_ = true;
        if (writing_ || writes_done_pending_) {
          release_pending_ = true;
          return;
        }
      }
      RemoveHold();
      return;
    }
    MarkEstablished();
    v1::StreamingPullResponse response = std::move(read_buffer_);
    read_buffer_.Clear();
    // on_read only queues work, so reading the next response after it keeps callbacks one at a time
    // without stalling the stream.
    callbacks_.on_read(std::move(response));
    {
      absl::MutexLock lock(&mu_);
      if (reading_paused_) {
        // ResumeReading(), Close() or Cancel() starts the next read.
        read_parked_ = true;
        return;
      }
    }
    StartRead(&read_buffer_);
  }

  void OnDone(const grpc::Status& grpc_status) override {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    const absl::Status status = FromGrpc(grpc_status);
    auto on_finish = std::move(callbacks_.on_finish);
    callbacks_ = {};
    context_.reset();  // before on_finish: see the lifetime rule above
    auto self = std::move(self_);
    if (on_finish) on_finish(status);
  }

 private:
  void MarkEstablished() {
    {
      absl::MutexLock lock(&mu_);
      if (established_) return;
      established_ = true;
    }
    if (callbacks_.on_established) callbacks_.on_established();
  }

  v1::Subscriber::Stub* stub_;
  std::unique_ptr<grpc::ClientContext> context_ = std::make_unique<grpc::ClientContext>();
  Callbacks callbacks_;
  std::shared_ptr<GrpcStreamingPullStream> self_;
  v1::StreamingPullRequest write_buffer_;
  v1::StreamingPullResponse read_buffer_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool release_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool close_after_write_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool established_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_paused_ ABSL_GUARDED_BY(mu_) = false;
  // Reading is paused and no read is outstanding.
  bool read_parked_ ABSL_GUARDED_BY(mu_) = false;
};

class GrpcSubscriberStub final : public SubscriberStub {
 public:
  explicit GrpcSubscriberStub(const schedsvc::pubsub::ConnectionOptions& options)
      : rpc_timeout_(options.rpc_timeout) {
    const int channels = std::max(1, options.channels);
    for (int i = 0; i < channels; ++i) {
      stubs_.push_back(v1::Subscriber::NewStub(schedsvc::pubsub::MakeChannel(options, i)));
    }
  }

  std::shared_ptr<StreamingPullStream> MakeStream(int index) override {
    return std::make_shared<GrpcStreamingPullStream>(stubs_[index % stubs_.size()].get());
  }

  void AsyncAcknowledge(v1::AcknowledgeRequest request, std::function<void(absl::Status)> done) override {
    Unary<v1::AcknowledgeRequest>(std::move(request), std::move(done),
                                  [](v1::Subscriber::Stub* stub, grpc::ClientContext* ctx,
                                     const v1::AcknowledgeRequest* req, google::protobuf::Empty* resp,
                                     std::function<void(grpc::Status)> cb) {
                                    stub->async()->Acknowledge(ctx, req, resp, std::move(cb));
                                  });
  }

  void AsyncModifyAckDeadline(v1::ModifyAckDeadlineRequest request,
                              std::function<void(absl::Status)> done) override {
    Unary<v1::ModifyAckDeadlineRequest>(std::move(request), std::move(done),
                                        [](v1::Subscriber::Stub* stub, grpc::ClientContext* ctx,
                                           const v1::ModifyAckDeadlineRequest* req,
                                           google::protobuf::Empty* resp, std::function<void(grpc::Status)> cb) {
                                          stub->async()->ModifyAckDeadline(ctx, req, resp, std::move(cb));
                                        });
  }

 private:
  template <typename Request, typename Start>
  void Unary(Request request, std::function<void(absl::Status)> done, Start start) {
    struct Call {
      grpc::ClientContext context;
      Request request;
      google::protobuf::Empty response;
    };
    auto call = std::make_shared<Call>();
    call->request = std::move(request);
    call->context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(rpc_timeout_));
    auto* stub = stubs_[next_++ % stubs_.size()].get();
    start(stub, &call->context, &call->request, &call->response,
          [call, done = std::move(done)](grpc::Status grpc_status) mutable {
            const absl::Status status = FromGrpc(grpc_status);
            call.reset();  // the context goes before `done`: see the lifetime rule above
            done(status);
          });
  }

  absl::Duration rpc_timeout_;
  std::vector<std::unique_ptr<v1::Subscriber::Stub>> stubs_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace

std::shared_ptr<SubscriberStub> MakeGrpcSubscriberStub(const schedsvc::pubsub::ConnectionOptions& options) {
  return std::make_shared<GrpcSubscriberStub>(options);
}

}  // namespace schedsvc::pubsub_internal
