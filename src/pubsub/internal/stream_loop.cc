#include "src/pubsub/internal/stream_loop.h"

namespace schedsvc::pubsub_internal {

namespace v1 = ::google::pubsub::v1;

StreamLoop::StreamLoop(int index, std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock,
                       StreamLoopOptions options, ResponseHandler on_response, StateHandler on_state)
    : index_(index),
      stub_(std::move(stub)),
      executor_(executor),
      clock_(clock),
      options_(std::move(options)),
      on_response_(std::move(on_response)),
      on_state_(std::move(on_state)),
      backoff_(options_.reconnect_backoff) {}

void StreamLoop::Start() { Open(); }

void StreamLoop::Open() {
  std::shared_ptr<StreamingPullStream> stream;
  std::uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    generation = ++generation_;
    stream = stub_->MakeStream(index_);
    stream_ = stream;
    stream_active_ = true;
    write_pending_since_ = clock_.Now();
  }
  std::weak_ptr<StreamLoop> weak = weak_from_this();
  StreamingPullStream::Callbacks callbacks;
  callbacks.on_established = [weak, generation] {
    if (auto self = weak.lock()) self->OnEstablished(generation);
  };
  callbacks.on_read = [weak](v1::StreamingPullResponse response) {
    if (auto self = weak.lock()) self->on_response_(std::move(response));
  };
  callbacks.on_write_done = [weak, generation](bool ok) {
    if (auto self = weak.lock()) self->OnWriteDone(generation, ok);
  };
  callbacks.on_finish = [weak, generation](absl::Status status) {
    if (auto self = weak.lock()) self->OnFinish(generation, std::move(status));
  };
  stream->Start(options_.initial_request, std::move(callbacks));
  // The heartbeat timer doubles as the watchdog for the initial write.
  absl::MutexLock lock(&mu_);
  if (generation_ == generation && !stopped_) {
    timer_ = executor_.RunAfter(options_.heartbeat_interval, [weak, generation] {
      if (auto self = weak.lock()) self->Heartbeat(generation);
    });
  }
}

void StreamLoop::OnEstablished(std::uint64_t generation) {
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || connected_) return;
    connected_ = true;
    established_at_ = clock_.Now();
    backoff_.Reset();
  }
  on_state_(true, absl::OkStatus());
}

void StreamLoop::OnWriteDone(std::uint64_t generation, bool ok) {
  absl::MutexLock lock(&mu_);
  if (generation != generation_) return;
  write_pending_since_ = absl::InfiniteFuture();
}

void StreamLoop::Heartbeat(std::uint64_t generation) {
  std::shared_ptr<StreamingPullStream> stream;
  bool stuck = false;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || stopped_ || !stream_active_) return;
    stream = stream_;
    const absl::Time now = clock_.Now();
    stuck = write_pending_since_ != absl::InfiniteFuture() &&
            now - write_pending_since_ >= options_.watchdog_timeout;
    if (!stuck && write_pending_since_ == absl::InfiniteFuture()) write_pending_since_ = now;
  }
  if (stuck) {
    // The finish callback reopens the stream.
    stream->Cancel();
    return;
  }
  // An empty request is Pub/Sub's heartbeat; if a write is still pending, Write() refuses and the
  // watchdog keeps counting from when that write started.
  stream->Write(v1::StreamingPullRequest{});
  std::weak_ptr<StreamLoop> weak = weak_from_this();
  absl::MutexLock lock(&mu_);
  if (generation == generation_ && !stopped_) {
    timer_ = executor_.RunAfter(options_.heartbeat_interval, [weak, generation] {
      if (auto self = weak.lock()) self->Heartbeat(generation);
    });
  }
}

void StreamLoop::OnFinish(std::uint64_t generation, absl::Status status) {
  bool was_connected = false;
  bool reopen_now = false;
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_) return;
    was_connected = connected_;
    connected_ = false;
    stream_active_ = false;
    stream_.reset();
    if (timer_ != 0) executor_.Cancel(timer_);
    timer_ = 0;
    if (!stopped_) {
      ++reconnects_;
      reopen_now = was_connected && clock_.Now() - established_at_ >= options_.min_healthy_lifetime;
      if (!reopen_now) delay = backoff_.NextDelay(gen_);
    }
  }
  on_state_(false, status);
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  std::weak_ptr<StreamLoop> weak = weak_from_this();
  timer_ = executor_.RunAfter(reopen_now ? absl::ZeroDuration() : delay, [weak] {
    if (auto self = weak.lock()) self->Open();
  });
}

void StreamLoop::Stop() {
  std::shared_ptr<StreamingPullStream> stream;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    if (timer_ != 0) executor_.Cancel(timer_);
    timer_ = 0;
    stream = stream_;
    if (stream) {
      std::weak_ptr<StreamLoop> weak = weak_from_this();
      timer_ = executor_.RunAfter(options_.close_timeout, [weak, generation = generation_] {
        if (auto self = weak.lock()) self->CancelIfOpen(generation);
      });
    }
  }
  if (stream) stream->Close();
}

void StreamLoop::CancelIfOpen(std::uint64_t generation) {
  std::shared_ptr<StreamingPullStream> stream;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || !stream_active_) return;
    stream = stream_;
  }
  if (stream) stream->Cancel();
}

bool StreamLoop::WaitStopped(absl::Duration timeout) {
  std::uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !stream_active_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) return true;
    generation = generation_;
  }
  CancelIfOpen(generation);
  return false;
}

bool StreamLoop::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

std::int64_t StreamLoop::reconnects() const {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

}  // namespace schedsvc::pubsub_internal
