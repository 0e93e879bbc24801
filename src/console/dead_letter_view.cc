#include "src/console/dead_letter_view.h"

#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/cli/dlq_leases.h"

namespace schedsvc::console {

DeadLetterView::DeadLetterView(DeadLetterViewOptions options, pubsub::AdminClient& client,
                               PublisherFactory make_publisher, Clock& clock)
    : options_(std::move(options)), client_(client), make_publisher_(std::move(make_publisher)), clock_(clock) {}

absl::StatusOr<nlohmann::json> DeadLetterView::List() {
  // The mutex serializes the operation itself (the RPCs), not data: holding it while calling out is the
  // point, and nothing else ever waits on it but the next operation.
  absl::MutexLock lock(&operation_mu_);
  std::ostringstream lease_errors;
  cli::DlqLeases leases(client_, options_.subscription, clock_, lease_errors);
  auto messages = cli::PullAvailable(client_, options_.subscription, leases, options_.list_limit, options_.pacing);
  leases.ReleaseAll();
  if (!messages.ok()) {
    return absl::Status(messages.status().code(),
                        absl::StrCat("pulling ", options_.subscription, ": ", messages.status().message()));
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& rm : *messages) list.push_back(DeadLetterJson(rm.message()));
  return nlohmann::json{{"subscription", options_.subscription}, {"messages", std::move(list)}};
}

absl::StatusOr<cli::ReplayCounts> DeadLetterView::Replay(const ReplayRequest& request) {
  absl::MutexLock lock(&operation_mu_);
  cli::DlqReplayOptions replay;
  replay.subscription = options_.subscription;
  replay.to_topic = options_.replay_topic;
  // Checked here, in the API's words (ReplayDeadLetters would name its CLI flags), and before a publisher
  // exists, so a bad request costs no connection.
  if (absl::Status s = CheckReplayRequest(request); !s.ok()) return s;
  replay.ids = request.ids;
  for (const auto& [k, v] : request.set_attributes) replay.set_attributes.push_back(absl::StrCat(k, "=", v));
  replay.pacing = options_.pacing;
  auto publisher = make_publisher_(options_.replay_topic);
  if (!publisher.ok()) return publisher.status();
  std::ostringstream lines;
  std::ostringstream warnings;
  auto counts = cli::ReplayDeadLetters(replay, client_, **publisher, clock_, lines, warnings);
  (*publisher)->Shutdown();
  return counts;
}

}  // namespace schedsvc::console
