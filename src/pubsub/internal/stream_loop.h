// StreamLoop: keeps one StreamingPull stream open for as long as the subscriber runs. It opens the
// stream with the subscription, stream ack deadline, client id and this stream's share of the flow
// control limits; hands every response to `on_response`. A healthy stream -- one the server accepted
// (headers or a response) that then lived `min_healthy_lifetime`, or one connected by the grace (below)
// that was open for `grace_healthy_lifetime` -- resets the backoffs and, unless it ended with a permanent
// code, is reopened at once. Every other end is retried with jittered exponential backoff that grows
// across attempts: `reconnect_backoff` for transient codes, the long `permanent_failure_backoff` for
// codes a retry cannot fix by itself (NOT_FOUND, PERMISSION_DENIED, ...), which are never retried at
// once. So neither a server nor a proxy that takes streams and drops them is hammered.
//
// A stream counts as connected once the server has accepted it: it sent its initial metadata or a
// response, or the stream has been open for `connect_grace` after its first write completed without
// failing (the official emulator sends no headers on an idle stream, and answers a missing subscription
// with NOT_FOUND only after that first write). Every failure and every connection is reported to
// `on_event`. A heartbeat is written every `heartbeat_interval`; a write still pending after
// `watchdog_timeout` marks the stream stuck and it is cancelled and reopened (google-cloud-cpp#9171).
// SetReadingPaused() stops reading responses (the server then meets HTTP/2 flow control).
// One per stream, owned (shared) by the subscription session. Thread-safe.
#ifndef SCHEDSVC_PUBSUB_INTERNAL_STREAM_LOOP_H_
#define SCHEDSVC_PUBSUB_INTERNAL_STREAM_LOOP_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "src/common/backoff_policy.h"
#include "src/common/clock.h"
#include "src/common/executor.h"
#include "src/pubsub/internal/subscriber_stub.h"
#include "src/pubsub/subscriber_options.h"

namespace schedsvc::pubsub_internal {

struct StreamLoopOptions {
  google::pubsub::v1::StreamingPullRequest initial_request;
  BackoffOptions reconnect_backoff;
  BackoffOptions permanent_failure_backoff = {absl::Seconds(10), absl::Minutes(5), 2.0, 0.5};
  // A stream whose first write completed counts as connected after this long without failing, when the
  // server has sent neither headers nor a response by then.
  absl::Duration connect_grace = absl::Seconds(2);
  absl::Duration heartbeat_interval = absl::Seconds(30);
  absl::Duration watchdog_timeout = absl::Seconds(60);
  // A stream the server accepted (headers or a response) that ends within this time of that counts as a
  // failed attempt (backoff), so a server that accepts and drops streams is not hammered.
  absl::Duration min_healthy_lifetime = absl::Seconds(1);
  // A stream connected only by `connect_grace` counts as healthy when it ends only after being open this
  // long; one that fails earlier (a proxy that takes the stream and fails it seconds later) is a failed
  // attempt.
  absl::Duration grace_healthy_lifetime = absl::Seconds(30);
  // Stop() half-closes the stream so the server ends it cleanly; one still open this long after is
  // cancelled.
  absl::Duration close_timeout = absl::Seconds(1);
};

class StreamLoop : public std::enable_shared_from_this<StreamLoop> {
 public:
  using ResponseHandler = std::function<void(google::pubsub::v1::StreamingPullResponse)>;
  // Called when the stream connects and when it fails (not for the end of a stream after Stop()).
  using EventHandler = std::function<void(const schedsvc::pubsub::StreamEvent&)>;

  StreamLoop(int index, std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock,
             StreamLoopOptions options, ResponseHandler on_response, EventHandler on_event);

  // Opens the first stream. Call once.
  void Start();
  // Stops reopening the stream and half-closes it: the server ends it (Pub/Sub's emulator only stops
  // handing a stream messages once it has seen the client end it cleanly: it loses the cancellation
  // of a stream, and that stream's pusher keeps taking messages). Cancelled if still open after
  // `close_timeout`. Idempotent.
  void Stop();
  // Blocks until the current stream has finished after Stop(), or `timeout` passes; a stream still
  // open then is cancelled. Returns whether it had finished.
  bool WaitStopped(absl::Duration timeout);

  bool connected() const;
  std::int64_t reconnects() const;
  // The status of the latest failure since the stream was last connected; OK if none.
  absl::Status last_error() const;
  // Pauses (true) or resumes reading responses, on the current stream and on streams opened later.
  void SetReadingPaused(bool paused);

 private:
  void Open();
  // `accepted`: the server sent headers or a response (not just the connect grace elapsing).
  void OnEstablished(std::uint64_t generation, bool accepted);
  void OnGraceElapsed(std::uint64_t generation);
  void OnFinish(std::uint64_t generation, absl::Status status);
  void OnWriteDone(std::uint64_t generation, bool ok);
  void Heartbeat(std::uint64_t generation);
  void CancelIfOpen(std::uint64_t generation);

  const int index_;
  std::shared_ptr<SubscriberStub> stub_;
  Executor& executor_;
  Clock& clock_;
  const StreamLoopOptions options_;
  ResponseHandler on_response_;
  EventHandler on_event_;

  mutable absl::Mutex mu_;
  std::shared_ptr<StreamingPullStream> stream_ ABSL_GUARDED_BY(mu_);
  std::uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_active_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  // The server sent headers or a response on the current stream.
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time accepted_at_ ABSL_GUARDED_BY(mu_);
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_);
  bool first_write_done_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_paused_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time write_pending_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
  TimerId grace_timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  // Consecutive failed attempts since the stream was last healthy.
  int failed_attempts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  ExponentialBackoff backoff_ ABSL_GUARDED_BY(mu_);
  ExponentialBackoff permanent_backoff_ ABSL_GUARDED_BY(mu_);
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
};

// Returns true for the stream failure codes a retry cannot fix by itself: NOT_FOUND, PERMISSION_DENIED,
// UNAUTHENTICATED, INVALID_ARGUMENT, FAILED_PRECONDITION.
bool IsPermanentStreamFailure(absl::StatusCode code);

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_STREAM_LOOP_H_
