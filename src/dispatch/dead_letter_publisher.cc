#include "src/dispatch/dead_letter_publisher.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/common/utf8_prefix.h"
#include "src/pubsub/limits.h"

namespace schedsvc::dispatch {
namespace {

constexpr absl::string_view kReasonAttribute = "schedsvc.reason";
constexpr absl::string_view kTruncatedAttribute = "schedsvc.truncated";

}  // namespace

std::map<std::string, std::string> DeadLetterAttributes(const std::map<std::string, std::string>& original,
                                                        const std::string& message_id,
                                                        const std::string& source_subscription,
                                                        const DeadLetterInfo& info) {
  std::map<std::string, std::string> own = {
      {std::string(kReasonAttribute), info.reason},
      {"schedsvc.error", info.error},
      {"schedsvc.http_status", absl::StrCat(info.http_status)},
      {"schedsvc.attempts", absl::StrCat(info.attempts)},
      {"schedsvc.source_subscription", source_subscription},
      {"schedsvc.message_id", message_id},
      {"schedsvc.backend", info.backend},
  };
  std::vector<std::string> cut;
  for (auto& [key, value] : own) {
    if (value.size() > pubsub::kMaxAttributeValueBytes) {
      value = std::string(Utf8Prefix(value, pubsub::kMaxAttributeValueBytes));
      cut.push_back(key);
    }
  }
  // Room for the originals: everything ours, plus the note saying what was left out.
  const std::size_t room = pubsub::kMaxAttributes - own.size() - 1;
  std::map<std::string, std::string> attributes;
  std::size_t dropped = 0;
  for (const auto& [key, value] : original) {
    if (own.contains(key) || key == kTruncatedAttribute) continue;  // ours win
    if (attributes.size() >= room) {
      ++dropped;
      continue;
    }
    attributes.emplace(key, value);
  }
  attributes.merge(own);
  std::vector<std::string> notes;
  if (dropped > 0) notes.push_back(absl::StrCat(dropped, " original attributes dropped (Pub/Sub allows ",
                                                pubsub::kMaxAttributes, ")"));
  if (!cut.empty()) {
    notes.push_back(absl::StrCat("cut to ", pubsub::kMaxAttributeValueBytes, " bytes: ", absl::StrJoin(cut, ",")));
  }
  if (!notes.empty()) attributes[std::string(kTruncatedAttribute)] = absl::StrJoin(notes, "; ");
  return attributes;
}

DeadLetterPublisher::DeadLetterPublisher(std::unique_ptr<pubsub::Publisher> publisher,
                                         std::string source_subscription)
    : publisher_(std::move(publisher)), source_subscription_(std::move(source_subscription)) {}

void DeadLetterPublisher::Publish(const std::string& message_id, const std::string& data,
                                  const std::map<std::string, std::string>& attributes, const DeadLetterInfo& info,
                                  std::function<void(absl::Status)> done) {
  pubsub::OutgoingMessage letter;
  letter.data = data;
  letter.attributes = DeadLetterAttributes(attributes, message_id, source_subscription_, info);
  publisher_->Publish(std::move(letter), [done = std::move(done)](absl::StatusOr<std::string> id) {
    done(id.status());
  });
}

void DeadLetterPublisher::Shutdown() { publisher_->Shutdown(); }

}  // namespace schedsvc::dispatch
