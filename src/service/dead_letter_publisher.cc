#include "src/service/dead_letter_publisher.h"

#include "absl/strings/str_cat.h"

namespace schedsvc::service {

std::map<std::string, std::string> DeadLetterAttributes(const std::map<std::string, std::string>& original,
                                                        const std::string& message_id,
                                                        const std::string& source_subscription,
                                                        const DeadLetterInfo& info) {
  std::map<std::string, std::string> attributes = original;
  attributes["schedsvc.reason"] = info.reason;
  attributes["schedsvc.error"] = info.error;
  attributes["schedsvc.http_status"] = absl::StrCat(info.http_status);
  attributes["schedsvc.attempts"] = absl::StrCat(info.attempts);
  attributes["schedsvc.source_subscription"] = source_subscription;
  attributes["schedsvc.message_id"] = message_id;
  attributes["schedsvc.backend"] = info.backend;
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

}  // namespace schedsvc::service
