// AckBatcher: the last stage of the subscriber pipeline. Collects acks and ack-deadline changes
// (extensions, nacks, delayed nacks) from every stream and sends them as batched unary Acknowledge /
// ModifyAckDeadline RPCs (at most 2048 ack ids each), after `batch_delay` or as soon as a batch is full.
// RPCs failing with a transient code are retried with backoff within `retry_budget` — an ack lost while
// the connection is down would otherwise become a duplicate. The session sets the budget to the lease
// extension step: the deadline the ack ids were last given, after which Pub/Sub redelivers the message
// and a late ack or deadline change has nothing left to settle. A final failure is counted and reported
// to `on_failure`. Thread-safe; RPCs and timers run without
// the lock held. Owned by the subscription session; must outlive nothing it hands to the stub (callbacks
// hold a shared_ptr to it).
#ifndef SCHEDSVC_PUBSUB_INTERNAL_ACK_BATCHER_H_
#define SCHEDSVC_PUBSUB_INTERNAL_ACK_BATCHER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/backoff_policy.h"
#include "src/common/clock.h"
#include "src/common/executor.h"
#include "src/pubsub/internal/subscriber_stub.h"
#include "src/pubsub/subscriber_options.h"

namespace schedsvc::pubsub_internal {

struct AckBatcherOptions {
  // Delay before a partial batch is sent. Default 10 ms.
  absl::Duration batch_delay = absl::Milliseconds(10);
  // Ack ids per RPC. Default 2048 (the service's limit); >= 1.
  int max_ids_per_request = 2048;
  // Backoff between retries of a failed RPC, and the total time one RPC may keep retrying.
  BackoffOptions retry_backoff = {absl::Milliseconds(100), absl::Seconds(5), 2.0, 1.0};
  absl::Duration retry_budget = absl::Seconds(60);
  // Called (no lock held, on the thread that saw the last failure) for every RPC that finally failed.
  std::function<void(const schedsvc::pubsub::AckFailureEvent&)> on_failure;
};

class AckBatcher : public std::enable_shared_from_this<AckBatcher> {
 public:
  AckBatcher(std::shared_ptr<SubscriberStub> stub, Executor& executor, Clock& clock, std::string subscription,
             AckBatcherOptions options);

  // Queues an ack.
  void Ack(std::string ack_id);
  // Queues a deadline change to `seconds` from now for each id (0 = nack).
  void ModifyDeadline(std::vector<std::string> ack_ids, int seconds);

  // Sends everything queued now.
  void Flush();

  // Flushes, then blocks until no RPC is queued, in flight or waiting to retry, or `timeout` passes.
  // Returns true when idle.
  bool FlushAndWait(absl::Duration timeout);

  // Counters for observability.
  std::int64_t failed_ids() const;

 private:
  struct Rpc {
    bool is_ack = true;
    int seconds = 0;
    std::vector<std::string> ids;
    absl::Time first_attempt;
    std::unique_ptr<ExponentialBackoff> backoff;
  };

  void ArmTimerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::unique_ptr<Rpc>> TakeFullBatchesLocked(bool all) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(std::unique_ptr<Rpc> rpc);
  void OnDone(std::unique_ptr<Rpc> rpc, absl::Status status);

  std::shared_ptr<SubscriberStub> stub_;
  Executor& executor_;
  Clock& clock_;
  const std::string subscription_;
  const AckBatcherOptions options_;

  mutable absl::Mutex mu_;
  std::vector<std::string> acks_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::vector<std::string>> modacks_ ABSL_GUARDED_BY(mu_);
  bool timer_armed_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t failed_ids_ ABSL_GUARDED_BY(mu_) = 0;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_ACK_BATCHER_H_
