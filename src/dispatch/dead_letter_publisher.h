// DeadLetterPublisher: publishes a message that can never be delivered to the configured dead-letter
// topic, with the original data and attributes plus attributes saying why (DESIGN §3):
//   schedsvc.error, schedsvc.reason, schedsvc.http_status, schedsvc.attempts,
//   schedsvc.source_subscription, schedsvc.message_id, schedsvc.backend.
// A letter stays within Pub/Sub's attribute limits (src/pubsub/limits.h): values longer than 1024 bytes
// are cut at a character boundary, and when the original attributes and ours exceed 100 the originals
// last in name order are left out; either is said in `schedsvc.truncated`. Ours replace originals of
// the same name.
// The dispatcher acks the original only after the publish is confirmed. Thread-safe.
#ifndef SCHEDSVC_DISPATCH_DEAD_LETTER_PUBLISHER_H_
#define SCHEDSVC_DISPATCH_DEAD_LETTER_PUBLISHER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "src/pubsub/publisher.h"

namespace schedsvc::dispatch {

struct DeadLetterInfo {
  std::string reason;       // a docs/metrics.md dead-letter reason, e.g. "http_4xx"
  std::string error;        // human-readable; never contains a secret
  int http_status = 0;      // 0 when there was no HTTP response
  int attempts = 0;         // HTTP attempts made in this delivery
  std::string backend;      // "" when the message named no configured backend
};

// Returns the attributes a dead letter carries: the original ones plus the schedsvc.* ones, within
// Pub/Sub's limits as described above.
std::map<std::string, std::string> DeadLetterAttributes(const std::map<std::string, std::string>& original,
                                                        const std::string& message_id,
                                                        const std::string& source_subscription,
                                                        const DeadLetterInfo& info);

// Where the dispatcher sends what can never be delivered. Implemented by DeadLetterPublisher; tests use
// a fake.
class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  // `done` gets OK once the dead-letter topic has the message.
  virtual void Publish(const std::string& message_id, const std::string& data,
                       const std::map<std::string, std::string>& attributes, const DeadLetterInfo& info,
                       std::function<void(absl::Status)> done) = 0;
};

class DeadLetterPublisher final : public DeadLetterSink {
 public:
  // `publisher` publishes to the dead-letter topic; `source_subscription` is recorded on each letter.
  DeadLetterPublisher(std::unique_ptr<pubsub::Publisher> publisher, std::string source_subscription);

  void Publish(const std::string& message_id, const std::string& data,
               const std::map<std::string, std::string>& attributes, const DeadLetterInfo& info,
               std::function<void(absl::Status)> done) override;

  // Waits for outstanding publishes; later ones fail with kCancelled.
  void Shutdown();

 private:
  std::unique_ptr<pubsub::Publisher> publisher_;
  const std::string source_subscription_;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_DEAD_LETTER_PUBLISHER_H_
