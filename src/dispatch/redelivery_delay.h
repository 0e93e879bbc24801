// RedeliveryDelay: the nack delay of a message handed back to Pub/Sub for a retryable cause (its budget
// spent, retry.max_attempts reached, its backend's circuit open with the hold full or past max_hold).
// The delay grows with Pub/Sub's delivery attempt k, so the subscription's maxDeliveryAttempts spans a
// long outage instead of a few seconds (DESIGN §3):
//
//   delay(k) = min(redelivery.max_delay, redelivery.initial_delay × 2^(k−1))
//
// k is Message::delivery_attempt; 0 (unknown: Pub/Sub fills it only when the subscription has a
// dead-letter policy) counts as 1. Shutdown nacks do not use it: they are immediate (another pod takes
// the message at once). `schedctl check` computes its outage figures from the same function.
//
// Pure function; thread-safe.
#ifndef SCHEDSVC_DISPATCH_REDELIVERY_DELAY_H_
#define SCHEDSVC_DISPATCH_REDELIVERY_DELAY_H_

#include "absl/time/time.h"
#include "src/config/service_config.h"

namespace schedsvc::dispatch {

// Returns the nack delay for a message at Pub/Sub delivery attempt `delivery_attempt` (1-based; <= 0
// is treated as 1): min(config.max_delay, config.initial_delay * 2^(delivery_attempt - 1)).
absl::Duration RedeliveryDelay(const config::RedeliveryConfig& config, int delivery_attempt);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_REDELIVERY_DELAY_H_
