#include "src/dispatch/redelivery_delay.h"

#include <algorithm>

namespace schedsvc::dispatch {

absl::Duration RedeliveryDelay(const config::RedeliveryConfig& config, int delivery_attempt) {
  const int k = std::max(delivery_attempt, 1);
  absl::Duration delay = config.initial_delay;
  // Doubling stops at the cap, so a large attempt number cannot overflow.
  for (int i = 1; i < k && delay < config.max_delay; ++i) delay *= 2;
  return std::min(delay, config.max_delay);
}

}  // namespace schedsvc::dispatch
