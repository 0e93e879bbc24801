// SubscriberOptions: how a Subscriber pulls, leases and settles messages. Defaults follow Google's
// clients (see shared/reference/pubsub-subscriber.md) except where noted.
#ifndef SCHEDSVC_PUBSUB_SUBSCRIBER_OPTIONS_H_
#define SCHEDSVC_PUBSUB_SUBSCRIBER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/common/backoff_policy.h"

namespace schedsvc::pubsub {

// What happened to one StreamingPull stream: it failed (an attempt to open it, or an established stream
// that ended), or it connected (see docs/pubsub-client.md for when a stream counts as connected).
struct StreamEvent {
  // Which of the subscriber's streams, 0 .. streams-1.
  int stream = 0;
  // True for a connection; false for a failure.
  bool connected = false;
  // The failure's status (OK for a connection).
  absl::Status status;
  // Consecutive failed attempts of this stream so far, this one included (1 for the first failure after a
  // healthy stream); on a connection, the failed attempts that preceded it.
  int attempt = 0;
  // The code is one a retry cannot fix by itself (NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED,
  // INVALID_ARGUMENT, FAILED_PRECONDITION): the stream is retried on the long backoff.
  bool permanent = false;
  // When the stream is tried again (zero: at once). Meaningless on a connection.
  absl::Duration retry_in = absl::ZeroDuration();
};

// The final failure of an Acknowledge or ModifyAckDeadline RPC (after retries within the lease).
struct AckFailureEvent {
  enum class Rpc { kAcknowledge, kModifyAckDeadline };
  Rpc rpc = Rpc::kAcknowledge;
  absl::Status status;
  // Ack ids in the failed request.
  std::int64_t ack_ids = 0;
  // The requested deadline of a ModifyAckDeadline (0 = nack).
  int deadline_seconds = 0;
};

struct SubscriberOptions {
  // Full subscription name, "projects/P/subscriptions/S". Required.
  std::string subscription;
  // StreamingPull streams held open. Default 4; 1-64.
  int streams = 4;
  // Messages leased and not yet settled, in total; the server is told its share per stream, and messages
  // beyond the limit wait (leased) before reaching the handler. Default 1000; >= 1.
  std::int64_t max_outstanding_messages = 1000;
  // Bytes (data + attributes) leased and not yet settled. Default 100 MiB; >= 1.
  std::int64_t max_outstanding_bytes = 100LL << 20;
  // Deadline each lease extension asks for, and the stream's ack deadline for newly delivered messages.
  // Modest on purpose: a crashed pod holds its messages at most this long. Default 60 s; 10-600 s.
  absl::Duration lease_extension_step = absl::Seconds(60);
  // Longest a message is kept leased by extensions, counted from receipt; zero disables extension (the
  // message expires after lease_extension_step). Default 60 min.
  absl::Duration max_lease_extension = absl::Minutes(60);
  // Threads running handlers and timers. Handlers should not block for long. Default 2; >= 1.
  int executor_threads = 2;
  // Delay before a partial batch of acks/nacks is sent. Default 10 ms.
  absl::Duration ack_batch_delay = absl::Milliseconds(10);
  // Backoff between attempts to open a stream that failed before it was established.
  BackoffOptions reconnect_backoff = {absl::Milliseconds(100), absl::Seconds(60), 1.3, 1.0};
  // A heartbeat is written on each stream this often; a write that has not completed after
  // `watchdog_timeout` means the stream is stuck, and it is cancelled and reopened. Defaults 30 s / 60 s.
  absl::Duration heartbeat_interval = absl::Seconds(30);
  absl::Duration watchdog_timeout = absl::Seconds(60);
  // Backoff between attempts to open a stream that failed with a permanent code (see StreamEvent): an
  // operator may create the subscription or grant the role, and the stream then recovers by itself.
  // Default 10 s -> 5 min, x2, each delay between half and all of its ceiling.
  BackoffOptions permanent_failure_backoff = {absl::Seconds(10), absl::Minutes(5), 2.0, 0.5};
  // Sent on every stream so the server can recognise this client across reconnects. Default: random.
  std::string client_id;
  // Observer hooks, called for every stream event and every finally failed ack/modack RPC, on gRPC or
  // executor threads with no subscriber lock held. They must be cheap and must not block (the subscriber
  // does not rate-limit them). Default: none.
  std::function<void(const StreamEvent&)> on_stream_event;
  std::function<void(const AckFailureEvent&)> on_ack_failure;
};

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_SUBSCRIBER_OPTIONS_H_
