// Pub/Sub's service limits that this project's code must stay within (cloud.google.com/pubsub/quotas,
// "Resource limits"). One place, so every component checks against the same numbers.
#ifndef SCHEDSVC_PUBSUB_LIMITS_H_
#define SCHEDSVC_PUBSUB_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace schedsvc::pubsub {

// Attributes per message.
inline constexpr std::size_t kMaxAttributes = 100;
// Bytes of one attribute key.
inline constexpr std::size_t kMaxAttributeKeyBytes = 256;
// Bytes of one attribute value.
inline constexpr std::size_t kMaxAttributeValueBytes = 1024;
// Bytes of one message (data + attributes + ordering key), as published.
inline constexpr std::size_t kMaxMessageBytes = 10 * 1000 * 1000;
// Longest ack deadline: ModifyAckDeadline's and a subscription's ackDeadlineSeconds' upper bound.
inline constexpr absl::Duration kMaxAckDeadline = absl::Seconds(600);
// Shortest ack deadline a subscription may have.
inline constexpr absl::Duration kMinAckDeadline = absl::Seconds(10);
// A dead-letter policy's max_delivery_attempts range.
inline constexpr int kMinDeliveryAttempts = 5;
inline constexpr int kMaxDeliveryAttempts = 100;
// Longest minimum_backoff / maximum_backoff of a subscription's retry policy.
inline constexpr absl::Duration kMaxRetryPolicyBackoff = absl::Seconds(600);
// Messages in one Publish request.
inline constexpr int kMaxPublishRequestMessages = 1000;
// Bytes of one Publish request.
inline constexpr std::size_t kMaxPublishRequestBytes = 10 * 1000 * 1000;

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_LIMITS_H_
