// StreamLoop: keeps one StreamingPull stream open for as long as the subscriber runs. It opens the
// stream with the subscription, stream ack deadline, client id and this stream's share of the flow
// control limits; hands every response to `on_response`; reopens an established stream that ends at
// once, and retries one that fails to establish with jittered exponential backoff. A heartbeat is written
// every `heartbeat_interval`; a write still pending after `watchdog_timeout` marks the stream stuck and
// it is cancelled and reopened (google-cloud-cpp#9171). `connected()` feeds the health signal.
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

namespace schedsvc::pubsub_internal {

struct StreamLoopOptions {
  google::pubsub::v1::StreamingPullRequest initial_request;
  BackoffOptions reconnect_backoff;
  absl::Duration heartbeat_interval = absl::Seconds(30);
  absl::Duration watchdog_timeout = absl::Seconds(60);
  // A stream that ends within this time of being established counts as a failed attempt (backoff), so
  // a server that accepts and drops streams is not hammered.
  absl::Duration min_healthy_lifetime = absl::Seconds(1);
  // Stop() half-closes the stream so the server ends it cleanly; one still open this long after is
  // cancelled.
  absl::Duration close_timeout = absl::Seconds(1);
};

class StreamLoop : public std::enable_shared_from_this<StreamLoop> {
 public:
  using ResponseHandler = std::function<void(google::pubsub::v1::StreamingPullResponse)>;
  // Called when the stream connects or disconnects, and when it gives up after Stop().
  using StateHandler = std::function<void(bool connected, const absl::Status& last_error)>;

  StreamLoop(int index, std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock,
             StreamLoopOptions options, ResponseHandler on_response, StateHandler on_state);

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

 private:
  void Open();
  void OnEstablished(std::uint64_t generation);
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
  StateHandler on_state_;

  mutable absl::Mutex mu_;
  std::shared_ptr<StreamingPullStream> stream_ ABSL_GUARDED_BY(mu_);
  std::uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_active_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time established_at_ ABSL_GUARDED_BY(mu_);
  absl::Time write_pending_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  ExponentialBackoff backoff_ ABSL_GUARDED_BY(mu_);
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_STREAM_LOOP_H_
