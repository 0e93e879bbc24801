// FlowController: client-side accounting of outstanding messages and bytes. A message is admitted to
// the handler while the totals are under the limits; beyond them it waits in FIFO order (still leased
// and extended) until settled messages release capacity. The server is told the same limits in the
// StreamingPull request, so waiting is rare. Sits between the lease manager and the handler. Thread-safe;
// `deliver` closures run without the lock held.
#ifndef SCHEDSVC_PUBSUB_INTERNAL_FLOW_CONTROLLER_H_
#define SCHEDSVC_PUBSUB_INTERNAL_FLOW_CONTROLLER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace schedsvc::pubsub_internal {

class FlowController {
 public:
  FlowController(std::int64_t max_messages, std::int64_t max_bytes);

  // Counts one message of `bytes`. Returns true if it fits under the limits now: the caller delivers it.
  // Otherwise queues it with the closure `make_deliver_later()` returns (built only then) and returns
  // false; a later Release() runs that closure once the message fits.
  bool Admit(const std::string& ack_id, std::int64_t bytes,
             absl::FunctionRef<std::function<void()>()> make_deliver_later);
  // Un-counts a settled message and delivers queued ones that now fit.
  void Release(std::int64_t bytes);
  // Removes every queued (not yet delivered) message and returns their ack ids.
  std::vector<std::string> DrainQueued();

  std::int64_t outstanding_messages() const;
  std::int64_t outstanding_bytes() const;
  std::size_t queued() const;

 private:
  struct Pending {
    std::string ack_id;
    std::int64_t bytes;
    std::function<void()> deliver;
  };
  bool FitsLocked(std::int64_t bytes) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const std::int64_t max_messages_;
  const std::int64_t max_bytes_;
  mutable absl::Mutex mu_;
  std::int64_t messages_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_FLOW_CONTROLLER_H_
