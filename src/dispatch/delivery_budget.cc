#include "src/dispatch/delivery_budget.h"

#include <algorithm>

namespace schedsvc::dispatch {

absl::Duration LeaseSafetyMargin(absl::Duration max_extension) {
  return std::clamp(max_extension / 4, kMinLeaseSafetyMargin, kMaxLeaseSafetyMargin);
}

absl::Time DeliveryDeadline(absl::Time receive_time, absl::Duration max_extension) {
  return receive_time + max_extension - LeaseSafetyMargin(max_extension);
}

}  // namespace schedsvc::dispatch
