#include "src/pubsub/internal/stream_loop.h"

namespace schedsvc::pubsub_internal {

namespace v1 = ::google::pubsub::v1;

bool IsPermanentStreamFailure(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return true;
    default:
      return false;
  }
}

StreamLoop::StreamLoop(int index, std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock,
                       StreamLoopOptions options, ResponseHandler on_response, EventHandler on_event)
    : index_(index),
      stub_(std::move(stub)),
      executor_(executor),
      clock_(clock),
      options_(std::move(options)),
      on_response_(std::move(on_response)),
      on_event_(std::move(on_event)),
      backoff_(options_.reconnect_backoff),
      permanent_backoff_(options_.permanent_failure_backoff) {}

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
    accepted_ = false;
    opened_at_ = clock_.Now();
    first_write_done_ = false;
    write_pending_since_ = clock_.Now();
    // Under the lock, so a concurrent SetReadingPaused() cannot be overtaken.
    if (reading_paused_) stream->PauseReading();
  }
  std::weak_ptr<StreamLoop> weak = weak_from_this();
  StreamingPullStream::Callbacks callbacks;
  callbacks.on_established = [weak, generation] {
    if (auto self = weak.lock()) self->OnEstablished(generation, /*accepted=*/true);
  };
  callbacks.on_read = [weak, generation](v1::StreamingPullResponse response) {
    auto self = weak.lock();
    if (!self) return;
    // A response is the server's acceptance too (a stream without headers is a fake's or a proxy's).
    self->OnEstablished(generation, /*accepted=*/true);
    self->on_response_(std::move(response));
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

void StreamLoop::OnEstablished(std::uint64_t generation, bool accepted) {
  schedsvc::pubsub::StreamEvent event;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || stopped_ || !stream_active_) return;
    if (accepted && !accepted_) {
      accepted_ = true;
      accepted_at_ = clock_.Now();
    }
    if (connected_) return;
    connected_ = true;
    if (grace_timer_ != 0) executor_.Cancel(grace_timer_);
    grace_timer_ = 0;
    event.stream = index_;
    event.connected = true;
    event.attempt = failed_attempts_;
    last_error_ = absl::OkStatus();
  }
  if (on_event_) on_event_(event);
}

void StreamLoop::OnGraceElapsed(std::uint64_t generation) {
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_) return;
    grace_timer_ = 0;
  }
  OnEstablished(generation, /*accepted=*/false);
}

void StreamLoop::OnWriteDone(std::uint64_t generation, bool ok) {
  absl::MutexLock lock(&mu_);
  if (generation != generation_) return;
  write_pending_since_ = absl::InfiniteFuture();
  if (!ok || first_write_done_ || connected_ || stopped_) return;
  first_write_done_ = true;
  std::weak_ptr<StreamLoop> weak = weak_from_this();
  grace_timer_ = executor_.RunAfter(options_.connect_grace, [weak, generation] {
    if (auto self = weak.lock()) self->OnGraceElapsed(generation);
  });
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
  absl::Duration delay = absl::ZeroDuration();
  schedsvc::pubsub::StreamEvent event;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_) return;
    const bool was_connected = connected_;
    connected_ = false;
    stream_active_ = false;
    stream_.reset();
    if (timer_ != 0) executor_.Cancel(timer_);
    timer_ = 0;
    if (grace_timer_ != 0) executor_.Cancel(grace_timer_);
    grace_timer_ = 0;
    if (stopped_) return;
    ++reconnects_;
    // Healthy: the server accepted the stream (headers or a response) and it served for
    // min_healthy_lifetime after that, or -- connected only by the grace, as an idle emulator stream is --
    // it stayed open for grace_healthy_lifetime. A stream that merely lived past the grace and then failed
    // (a proxy that takes the stream and fails it seconds later) is a failed attempt.
    const absl::Time now = clock_.Now();
    const bool healthy = was_connected && ((accepted_ && now - accepted_at_ >= options_.min_healthy_lifetime) ||
                                           now - opened_at_ >= options_.grace_healthy_lifetime);
    const bool permanent = IsPermanentStreamFailure(status.code());
    if (healthy) {
      failed_attempts_ = 0;
      backoff_.Reset();
      // The long backoff keeps growing across healthy streams that end with a permanent code.
      if (!permanent) permanent_backoff_.Reset();
    }
    if (permanent) {
      // Never reopened at once: a permanent code needs the operator, not a quick retry.
      delay = permanent_backoff_.NextDelay(gen_);
    } else if (!healthy) {
      delay = backoff_.NextDelay(gen_);
    }
    // Otherwise a stream that served and ended (servers close streams routinely) is reopened at once.
    ++failed_attempts_;
    last_error_ = status;
    event.stream = index_;
    event.connected = false;
    event.status = status;
    event.attempt = failed_attempts_;
    event.permanent = permanent;
    event.retry_in = delay;
    std::weak_ptr<StreamLoop> weak = weak_from_this();
    timer_ = executor_.RunAfter(delay, [weak] {
      if (auto self = weak.lock()) self->Open();
    });
  }
  if (on_event_) on_event_(event);
}

void StreamLoop::Stop() {
  std::shared_ptr<StreamingPullStream> stream;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    connected_ = false;
    if (timer_ != 0) executor_.Cancel(timer_);
    timer_ = 0;
    if (grace_timer_ != 0) executor_.Cancel(grace_timer_);
    grace_timer_ = 0;
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

absl::Status StreamLoop::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void StreamLoop::SetReadingPaused(bool paused) {
  // The stream's Pause/ResumeReading never call back, so they run under the lock: the last call wins.
  absl::MutexLock lock(&mu_);
  if (reading_paused_ == paused) return;
  reading_paused_ = paused;
  if (!stream_) return;
  if (paused) {
    stream_->PauseReading();
  } else {
    stream_->ResumeReading();
  }
}

}  // namespace schedsvc::pubsub_internal
