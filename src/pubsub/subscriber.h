// Subscriber: receives messages from one subscription over N StreamingPull streams and hands each to a
// handler with an AckHandle. Behind it is google-cloud-cpp's pipeline shape, one stage per class:
//
//   StreamLoop ×N  ->  LeaseManager  ->  FlowController  ->  handler (on the executor)
//        (open, reconnect,    (extend leases in     (outstanding limits)      |
//         watchdog, health)    modest steps)                                  v
//                                                          AckHandle -> AckBatcher -> Acknowledge /
//                                                                                 ModifyAckDeadline RPCs
//
// Thread-safe. Handlers run on the subscriber's executor threads and should not block for long.
#ifndef SCHEDSVC_PUBSUB_SUBSCRIBER_H_
#define SCHEDSVC_PUBSUB_SUBSCRIBER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/pubsub/ack_handle.h"
#include "src/pubsub/connection_options.h"
#include "src/pubsub/message.h"
#include "src/pubsub/subscriber_options.h"

namespace schedsvc::pubsub {

// A snapshot of the subscriber's counters and gauges, for metrics and health.
struct SubscriberStats {
  int streams = 0;
  int streams_connected = 0;
  std::int64_t stream_reconnects = 0;
  std::int64_t messages_received = 0;
  std::int64_t messages_leased = 0;
  std::int64_t messages_waiting = 0;  // leased but held back by flow control
  std::int64_t lease_extensions = 0;
  std::int64_t lease_expiries = 0;
  std::int64_t ack_ids_failed = 0;
  // A reading of the subscriber's own (monotonic) clock, like Message::receive_time: compare it only
  // with those; oldest_lease_age is the same figure as an age.
  absl::Time oldest_lease_receive_time = absl::InfiniteFuture();
  absl::Duration oldest_lease_age = absl::ZeroDuration();
  // Reading from the streams is paused because too many messages wait for flow control.
  bool reading_paused = false;
};

// Whether the subscriber is receiving, and why not.
struct SubscriberHealth {
  // True while receiving and at least one stream is connected.
  bool healthy = false;
  // Empty when healthy; otherwise why not, e.g. "stream 0: NOT_FOUND: Subscription does not exist
  // (...); subscription projects/p/subscriptions/s", one clause per stream that is not connected.
  std::string reason;
};

class Subscriber {
 public:
  using Handler = std::function<void(Message, AckHandle)>;
  virtual ~Subscriber() = default;

  // Opens the streams and starts delivering to `handler`. Call once.
  virtual void Start(Handler handler) = 0;

  // Stops taking messages: streams are cancelled (not reopened) and messages waiting for flow control
  // are nacked. Messages already handed to the handler stay leased (and extended) until settled.
  virtual void StopReceiving() = 0;

  // StopReceiving(), then nacks every message still leased so another subscriber gets it at once, and
  // waits up to `timeout` for outstanding ack/nack RPCs. Handles settled afterwards do nothing.
  virtual void Shutdown(absl::Duration timeout) = 0;

  // True while receiving and at least one stream is connected (see docs/pubsub-client.md).
  virtual bool IsHealthy() const = 0;
  // IsHealthy() and, when false, why.
  virtual SubscriberHealth Health() const = 0;

  virtual SubscriberStats stats() const = 0;
};

// Returns a subscriber connected per `connection`. kInvalidArgument names a bad option.
absl::StatusOr<std::unique_ptr<Subscriber>> MakeSubscriber(SubscriberOptions options,
                                                           ConnectionOptions connection = {});

// Returns OK if `options` are valid, else kInvalidArgument naming the option.
absl::Status ValidateSubscriberOptions(const SubscriberOptions& options);

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_SUBSCRIBER_H_
