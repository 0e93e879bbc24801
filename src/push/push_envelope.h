// Push envelope: turns one Pub/Sub push request (its body and headers) into the pubsub::Message the
// dispatch stage takes. Pub/Sub sends one of three shapes, told apart here without configuration:
//
//   wrapped (the default):  body {"message": {"data": base64, "attributes", "messageId", "publishTime",
//                           "orderingKey"}, "subscription", "deliveryAttempt"?} (JSON; protobuf's parser,
//                           so message_id / publish_time, which Pub/Sub writes beside them, are read too)
//   unwrapped + metadata:   (--push-no-wrapper --push-no-wrapper-write-metadata) body = the data as is;
//                           x-goog-pubsub-message-id, -publish-time, -subscription-name, -ordering-key and
//                           -delivery-attempt headers; every other header not set by HTTP or a proxy is
//                           an attribute
//   unwrapped, no metadata: (--push-no-wrapper) body = the data, nothing else: no message id, so one is
//                           made up per request ("push-" + 32 hex digits): the backend's Idempotency-Key
//                           then differs between Pub/Sub's redeliveries, and routing uses
//                           routing.default_backend (there are no attributes)
//
// Which shape: a request with x-goog-pubsub-message-id is unwrapped with metadata; else a body that is a
// JSON object with a "message" object and a "subscription" is a wrapped envelope, and must be a valid
// one; else a non-empty body is unwrapped without metadata. Anything else (an empty body without
// metadata, an envelope without a message id, bad base64, a bad publish time) is kInvalidArgument: the
// request is answered 400 and never dispatched. Error messages name the problem, never body bytes or
// header values. Pure functions; thread-safe.
#ifndef SCHEDSVC_PUSH_PUSH_ENVELOPE_H_
#define SCHEDSVC_PUSH_PUSH_ENVELOPE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/pubsub/message.h"

namespace schedsvc::push {

enum class PushFormat {
  kWrapped,
  kUnwrappedWithMetadata,
  kUnwrapped,
};

// Returns "wrapped", "unwrapped_metadata" or "unwrapped" (for logs).
absl::string_view PushFormatName(PushFormat format);

// One push request as received. `headers` are name/value pairs with names as sent (matched without
// regard to case).
struct PushRequestParts {
  absl::string_view body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct PushedMessage {
  // receive_time is left unset (InfinitePast): the caller stamps it with its steady clock.
  pubsub::Message message;
  PushFormat format = PushFormat::kWrapped;
  // The push subscription's name as the request states it; empty when it does not.
  std::string subscription;
};

// Parses `request` as described above. `random_id` supplies the 32 hex digits of a made-up message id
// (unwrapped without metadata); it is called at most once. kInvalidArgument naming the problem when the
// request is none of the three shapes.
absl::StatusOr<PushedMessage> ParsePushRequest(const PushRequestParts& request,
                                               const std::function<std::string()>& random_id);

// True for header names that HTTP, Pub/Sub's own metadata or a proxy sets, which are never attributes of
// an unwrapped message: x-goog-*, x-cloud-*, x-forwarded-*, forwarded, via, host, content-type,
// content-length, user-agent, authorization, accept*, connection, te, transfer-encoding, expect, from,
// and cpp-httplib's REMOTE_ADDR / REMOTE_PORT / LOCAL_ADDR / LOCAL_PORT. Case-insensitive.
bool IsTransportHeader(absl::string_view name);

}  // namespace schedsvc::push

#endif  // SCHEDSVC_PUSH_PUSH_ENVELOPE_H_
