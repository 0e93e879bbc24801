// Publisher: publishes messages to one topic. Messages are batched by count, bytes and delay into
// Publish RPCs; RPCs failing with a transient code are retried with backoff inside a budget. Every
// message gets its own result: the server-assigned message id or the error.
// Thread-safe. The destructor flushes and waits for outstanding batches.
#ifndef SCHEDSVC_PUBSUB_PUBLISHER_H_
#define SCHEDSVC_PUBSUB_PUBLISHER_H_

#include <cstddef>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/backoff_policy.h"
#include "src/pubsub/connection_options.h"

namespace schedsvc::pubsub {

// One message to publish. `data` may be binary.
struct OutgoingMessage {
  std::string data;
  std::map<std::string, std::string> attributes;
  std::string ordering_key;
};

struct PublisherOptions {
  // Full topic name, "projects/P/topics/T". Required.
  std::string topic;
  // A batch is sent when it holds this many messages. Default 100; 1-1000.
  int max_batch_messages = 100;
  // ... or this many bytes of data + attributes. Default 1 MiB; 1 B - 10 MB.
  std::size_t max_batch_bytes = 1 << 20;
  // ... or when its first message has waited this long. Default 10 ms; >= 0.
  absl::Duration max_batch_delay = absl::Milliseconds(10);
  // Backoff between retries of a failed Publish RPC.
  BackoffOptions retry_backoff = {absl::Milliseconds(100), absl::Seconds(10), 2.0, 1.0};
  // Total time a batch may spend retrying before its messages fail. Default 60 s.
  absl::Duration retry_budget = absl::Seconds(60);
};

class Publisher {
 public:
  virtual ~Publisher() = default;

  using Callback = std::function<void(absl::StatusOr<std::string>)>;

  // Queues `message`; `done` runs once, on a transport thread (or inline after Shutdown()), with the
  // message id or the error that ended its batch (kInvalidArgument for a bad topic or message, kNotFound
  // for a missing topic, the last transient error once the retry budget is spent, kCancelled after
  // Shutdown()).
  virtual void Publish(OutgoingMessage message, Callback done) = 0;

  // As above; the future yields the result.
  std::future<absl::StatusOr<std::string>> Publish(OutgoingMessage message) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<std::string>>>();
    auto future = promise->get_future();
    Publish(std::move(message), [promise](absl::StatusOr<std::string> r) { promise->set_value(std::move(r)); });
    return future;
  }

  // Sends every queued message now, without waiting for the results.
  virtual void Flush() = 0;

  // Flushes, waits for all outstanding batches, and fails any later Publish with kCancelled.
  virtual void Shutdown() = 0;
};

// Returns a publisher for `options.topic`. kInvalidArgument if the topic name or an option is invalid.
absl::StatusOr<std::unique_ptr<Publisher>> MakePublisher(PublisherOptions options,
                                                         ConnectionOptions connection = {});

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_PUBLISHER_H_
