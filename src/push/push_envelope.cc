#include "src/push/push_envelope.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "schedsvc/push/v1/push_envelope.pb.h"

namespace schedsvc::push {
namespace {

// Pub/Sub's metadata headers (unwrapped delivery with write metadata).
constexpr absl::string_view kMessageIdHeader = "x-goog-pubsub-message-id";
constexpr absl::string_view kPublishTimeHeader = "x-goog-pubsub-publish-time";
constexpr absl::string_view kSubscriptionHeader = "x-goog-pubsub-subscription-name";
constexpr absl::string_view kOrderingKeyHeader = "x-goog-pubsub-ordering-key";
constexpr absl::string_view kDeliveryAttemptHeader = "x-goog-pubsub-delivery-attempt";
// The prefix of a made-up message id (unwrapped without metadata).
constexpr absl::string_view kMadeUpIdPrefix = "push-";
// Longest message id accepted. Pub/Sub's are decimal numbers of about 16 digits.
constexpr std::size_t kMaxMessageIdLength = 128;

// The message id becomes the backend request's Idempotency-Key header and the dead letter's source id:
// only Pub/Sub's shape of id (letters, digits, '.', '_', '-') is accepted, so a pusher can neither add a
// header nor split the request that carries the backend's credentials.
absl::Status CheckMessageId(absl::string_view id, absl::string_view where) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " is empty"));
  if (id.size() > kMaxMessageIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is longer than ", kMaxMessageIdLength, " characters"));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " has a character other than letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

const std::string* FindHeader(const PushRequestParts& request, absl::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// True when `body` is a JSON object with a "message" object and a "subscription": meant as a wrapped
// envelope, so a parse failure is a bad request rather than unwrapped data.
bool LooksLikeEnvelope(absl::string_view body) {
  const nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  return json.is_object() && json.contains("message") && json["message"].is_object() &&
         json.contains("subscription");
}

bool StartsAsJsonObject(absl::string_view body) {
  const absl::string_view stripped = absl::StripLeadingAsciiWhitespace(body);
  return !stripped.empty() && stripped.front() == '{';
}

absl::StatusOr<PushedMessage> ParseWrapped(const schedsvc::push::v1::PushEnvelope& envelope) {
  const google::pubsub::v1::PubsubMessage& m = envelope.message();
  if (m.message_id().empty()) {
    return absl::InvalidArgumentError("push envelope has no message.messageId");
  }
  if (absl::Status id = CheckMessageId(m.message_id(), "message.messageId"); !id.ok()) return id;
  if (envelope.delivery_attempt() < 0) {
    return absl::InvalidArgumentError("push envelope has a negative deliveryAttempt");
  }
  PushedMessage out;
  out.format = PushFormat::kWrapped;
  out.subscription = envelope.subscription();
  out.message.message_id = m.message_id();
  out.message.data = m.data();
  out.message.attributes.insert(m.attributes().begin(), m.attributes().end());
  out.message.ordering_key = m.ordering_key();
  if (m.has_publish_time()) out.message.publish_time = FromTimestamp(m.publish_time());
  out.message.delivery_attempt = envelope.delivery_attempt();
  return out;
}

absl::StatusOr<PushedMessage> ParseUnwrappedWithMetadata(const PushRequestParts& request,
                                                         const std::string& message_id) {
  if (absl::Status id = CheckMessageId(message_id, kMessageIdHeader); !id.ok()) return id;
  PushedMessage out;
  out.format = PushFormat::kUnwrappedWithMetadata;
  out.message.message_id = message_id;
  out.message.data = std::string(request.body);
  if (const std::string* time = FindHeader(request, kPublishTimeHeader)) {
    std::string error;
    absl::Time t;
    if (!absl::ParseTime(absl::RFC3339_full, *time, &t, &error)) {
      return absl::InvalidArgumentError("x-goog-pubsub-publish-time is not an RFC 3339 time");
    }
    out.message.publish_time = t;
  }
  if (const std::string* attempt = FindHeader(request, kDeliveryAttemptHeader)) {
    int n = 0;
    if (!absl::SimpleAtoi(*attempt, &n) || n < 0) {
      return absl::InvalidArgumentError("x-goog-pubsub-delivery-attempt is not a whole number");
    }
    out.message.delivery_attempt = n;
  }
  if (const std::string* subscription = FindHeader(request, kSubscriptionHeader)) out.subscription = *subscription;
  if (const std::string* key = FindHeader(request, kOrderingKeyHeader)) out.message.ordering_key = *key;
  for (const auto& [name, value] : request.headers) {
    if (IsTransportHeader(name)) continue;
    // Pub/Sub writes each attribute as one header; a repeated name is not something it sends.
    if (!out.message.attributes.emplace(name, value).second) {
      return absl::InvalidArgumentError("a header (attribute) appears twice");
    }
  }
  return out;
}

}  // namespace

absl::string_view PushFormatName(PushFormat format) {
  switch (format) {
    case PushFormat::kWrapped:
      return "wrapped";
    case PushFormat::kUnwrappedWithMetadata:
      return "unwrapped_metadata";
    case PushFormat::kUnwrapped:
      return "unwrapped";
  }
  return "unknown";
}

bool IsTransportHeader(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (absl::string_view prefix : {"x-goog-", "x-cloud-", "x-forwarded-", "accept"}) {
    if (absl::StartsWith(lower, prefix)) return true;
  }
  for (absl::string_view exact :
       {"forwarded", "via", "host", "content-type", "content-length", "user-agent", "authorization", "connection",
        "te", "transfer-encoding", "expect", "from", "remote_addr", "remote_port", "local_addr", "local_port",
        // Credentials and hop-by-hop headers a client or proxy may add: never attributes (they would be
        // copied into dead letters).
        "cookie", "proxy-authorization", "x-serverless-authorization", "keep-alive", "upgrade", "priority",
        "proxy-connection", "trailer", "x-real-ip", "cf-connecting-ip"}) {
    if (lower == exact) return true;
  }
  return false;
}

absl::StatusOr<PushedMessage> ParsePushRequest(const PushRequestParts& request,
                                               const std::function<std::string()>& random_id) {
  if (const std::string* id = FindHeader(request, kMessageIdHeader)) {
    return ParseUnwrappedWithMetadata(request, *id);
  }
  if (StartsAsJsonObject(request.body)) {
    schedsvc::push::v1::PushEnvelope envelope;
    google::protobuf::util::JsonParseOptions options;
    // Pub/Sub may add fields; the ones this service uses are checked below.
    options.ignore_unknown_fields = true;
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(request.body.data(), request.body.size()), &envelope, options);
    if (parsed.ok() && envelope.has_message() && !envelope.subscription().empty()) return ParseWrapped(envelope);
    // protobuf's error text may quote the body: only say what kind of problem it is.
    if (!parsed.ok() && LooksLikeEnvelope(request.body)) {
      return absl::InvalidArgumentError(
          "push envelope does not parse (a field has the wrong type, or message.data is not base64, or "
          "message.publishTime is not an RFC 3339 time)");
    }
  }
  if (request.body.empty()) {
    return absl::InvalidArgumentError(
        "neither a push envelope nor an unwrapped message: empty body and no x-goog-pubsub-message-id");
  }
  PushedMessage out;
  out.format = PushFormat::kUnwrapped;
  out.message.message_id = absl::StrCat(kMadeUpIdPrefix, random_id());
  out.message.data = std::string(request.body);
  return out;
}

}  // namespace schedsvc::push
