// LeaseManager: keeps received messages leased while they are queued or being handled. A periodic
// refresh extends every lease that is getting close to its deadline by one modest step
// (ModifyAckDeadline `extension_step`), never beyond receive time + `max_extension`; a message that
// reaches that bound is extended no further, counted as expired, and Pub/Sub redelivers it. Modest steps
// mean a crashed pod holds messages for at most one step (google-cloud-cpp#6283).
// Sits between the streams and the flow controller; owned by the subscription session. Thread-safe;
// the deadline sink is called without the lock held.
#ifndef SCHEDSVC_PUBSUB_INTERNAL_LEASE_MANAGER_H_
#define SCHEDSVC_PUBSUB_INTERNAL_LEASE_MANAGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/common/executor.h"

namespace schedsvc::pubsub_internal {

struct LeaseOptions {
  // Each extension asks for this much time. Default 60 s; 10-600 s.
  absl::Duration extension_step = absl::Seconds(60);
  // No lease is extended past receive time + max_extension; zero disables extension. Default 60 min.
  absl::Duration max_extension = absl::Minutes(60);
};

class LeaseManager : public std::enable_shared_from_this<LeaseManager> {
 public:
  // Sends "set these ack ids' deadline to N seconds from now" (the AckBatcher in production).
  using DeadlineSink = std::function<void(std::vector<std::string> ack_ids, int seconds)>;

  LeaseManager(Executor& executor, Clock& clock, DeadlineSink sink, LeaseOptions options);

  // Starts the refresh timer. Call once, after construction.
  void Start();
  // Stops refreshing; leases are kept so TakeAll() can nack them.
  void Stop();

  // Starts tracking `ack_id`, received now with the stream's deadline of one extension step.
  void Add(const std::string& ack_id, std::int64_t bytes);
  // Stops tracking `ack_id`; returns its byte count, or -1 if it was not leased.
  std::int64_t Remove(const std::string& ack_id);
  // Removes every lease and returns the ack ids (for nacking at shutdown).
  std::vector<std::string> TakeAll();

  // Runs one refresh now (the timer calls this; tests may too).
  void Refresh();

  // Returns the refresh period for these options (how often Refresh runs).
  absl::Duration refresh_period() const { return refresh_period_; }

  std::size_t size() const;
  std::int64_t extensions() const;
  std::int64_t expiries() const;
  // Receive time of the oldest lease, or InfiniteFuture when there is none.
  absl::Time oldest_receive_time() const;

 private:
  struct Lease {
    absl::Time received;
    absl::Time deadline;
    std::int64_t bytes = 0;
    bool expired = false;
  };

  void ScheduleRefresh();

  Executor& executor_;
  Clock& clock_;
  DeadlineSink sink_;
  const LeaseOptions options_;
  const absl::Duration refresh_period_;

  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Lease> leases_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t extensions_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t expiries_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_LEASE_MANAGER_H_
