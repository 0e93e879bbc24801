// SubscriberOptions: how a Subscriber pulls, leases and settles messages. Defaults follow Google's
// clients (see shared/reference/pubsub-subscriber.md) except where noted.
#ifndef SCHEDSVC_PUBSUB_SUBSCRIBER_OPTIONS_H_
#define SCHEDSVC_PUBSUB_SUBSCRIBER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "src/common/backoff_policy.h"

namespace schedsvc::pubsub {

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
  // Sent on every stream so the server can recognise this client across reconnects. Default: random.
  std::string client_id;
};

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_SUBSCRIBER_OPTIONS_H_
