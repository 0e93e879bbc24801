// DeadLetterView: the console's dead-letter operations on the dead-letter inspection subscription, through
// the same code as `schedctl dlq`: List() pulls what is available and releases it (PullAvailable, as
// `dlq list`: nothing consumed); Replay() republishes to the original topic (ReplayDeadLetters, as
// `dlq replay`, with its --id / --set-attribute options). One operation at a time: a second caller waits
// for the first (two replays at once would hold each other's messages). Owned by whoever starts the
// console; the AdminClient, publisher factory and Clock must outlive it. Thread-safe.
#ifndef SCHEDSVC_CONSOLE_DEAD_LETTER_VIEW_H_
#define SCHEDSVC_CONSOLE_DEAD_LETTER_VIEW_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "src/cli/dlq_command.h"
#include "src/common/clock.h"
#include "src/console/dead_letter_json.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"

namespace schedsvc::console {

struct DeadLetterViewOptions {
  std::string subscription;  // full name of the dead-letter inspection subscription. Required.
  std::string replay_topic;  // full name of the topic replays go to (the original topic). Required.
  int list_limit = 100;      // at most this many dead letters listed; >= 1
  // Pulling until the subscription looks drained: shorter than the CLI's, so the page stays responsive.
  cli::DlqPullPacing pacing = {absl::Milliseconds(500), 2, absl::Milliseconds(100), 100};
};

// Makes a publisher for a replay to `topic` (full name); it is shut down after the replay.
using PublisherFactory =
    std::function<absl::StatusOr<std::unique_ptr<pubsub::Publisher>>(const std::string& topic)>;

class DeadLetterView {
 public:
  DeadLetterView(DeadLetterViewOptions options, pubsub::AdminClient& client, PublisherFactory make_publisher,
                 Clock& clock);

  // Returns {"subscription":…, "messages":[DeadLetterJson…]} after releasing every pulled message; the
  // pull's error otherwise (what was pulled is released).
  absl::StatusOr<nlohmann::json> List();

  // Replays the dead letters `request` names (all when none) with its attributes set. kInvalidArgument for
  // a bad request (CheckReplayRequest's, in the API's words; nothing pulled); the publisher factory's or
  // ReplayDeadLetters' error otherwise.
  absl::StatusOr<cli::ReplayCounts> Replay(const ReplayRequest& request);

  const std::string& subscription() const { return options_.subscription; }

 private:
  const DeadLetterViewOptions options_;
  pubsub::AdminClient& client_;
  const PublisherFactory make_publisher_;
  Clock& clock_;
  // Held for the whole of one operation (it guards no data): dead-letter operations run one at a time.
  absl::Mutex operation_mu_;
};

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_DEAD_LETTER_VIEW_H_
