// Delivery budget: how long the service may work on one delivery of a message. The message stays
// leased (the lease manager extends it) until lease.max_extension after its receipt; the dispatcher's
// last attempt, hold or backoff must end a safety margin before that, so the message is always handed
// back (nacked with the redelivery delay) or settled while the service still holds it, never left to
// let its lease lapse (DESIGN §4):
//
//   deadline = receive_time + lease.max_extension - LeaseSafetyMargin(lease.max_extension)
//   margin   = clamp(max_extension / 4, 1 s, 5 s)
//
// Times are readings of the steady clock. `schedctl check` uses the same margin. Pure functions;
// thread-safe.
#ifndef SCHEDSVC_DISPATCH_DELIVERY_BUDGET_H_
#define SCHEDSVC_DISPATCH_DELIVERY_BUDGET_H_

#include "absl/time/time.h"

namespace schedsvc::dispatch {

// Smallest and largest safety margin.
inline constexpr absl::Duration kMinLeaseSafetyMargin = absl::Seconds(1);
inline constexpr absl::Duration kMaxLeaseSafetyMargin = absl::Seconds(5);

// Returns clamp(max_extension / 4, 1 s, 5 s): the time kept free between the end of a message's last
// attempt and the end of its lease.
absl::Duration LeaseSafetyMargin(absl::Duration max_extension);

// Returns receive_time + max_extension - LeaseSafetyMargin(max_extension): when the dispatcher stops
// working on a message received (steady clock) at `receive_time`.
absl::Time DeliveryDeadline(absl::Time receive_time, absl::Duration max_extension);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_DELIVERY_BUDGET_H_
