// PushAckHandle: the bridge between the dispatch stage's settle of a pushed message and the HTTP answer
// to its push request. The push server gives the dispatcher a pubsub::AckHandle whose impl is this; the
// request's thread waits in Wait() until the dispatcher acks (answer 2xx) or nacks (answer non-2xx), the
// server abandons the request (shutdown), or the wait's bound (the push deadline) passes. A settle after
// that changes nothing: the answer has gone. When the last reference goes (the request answered and the
// dispatcher done with the handle), `on_release` runs: the server counts the message as out of the
// service then. A nack's delay is ignored: an HTTP answer cannot carry one. Thread-safe.
#ifndef SCHEDSVC_PUSH_PUSH_ACK_HANDLE_H_
#define SCHEDSVC_PUSH_PUSH_ACK_HANDLE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/pubsub/ack_handle.h"

namespace schedsvc::push {

enum class PushSettle {
  kPending,    // not settled (yet)
  kAcked,      // the dispatcher acked: answer 2xx
  kNacked,     // the dispatcher handed it back: answer non-2xx
  kAbandoned,  // the server gave up waiting (shutdown): answer non-2xx
};

class PushAckHandle : public pubsub::internal::AckHandleImpl {
 public:
  // `on_release` (may be empty) runs once, in the destructor.
  explicit PushAckHandle(std::function<void()> on_release = {});
  ~PushAckHandle() override;

  void Ack(const std::string& ack_id) override;
  void Nack(const std::string& ack_id, absl::Duration delay) override;

  // Blocks until the state is no longer kPending or `timeout` (real time) passes; returns the state then.
  // The first non-pending state is final.
  PushSettle Wait(absl::Duration timeout);
  // Turns a pending handle into kAbandoned and wakes Wait(); does nothing once settled. Returns the final
  // state: kAbandoned, or the settle that came first.
  PushSettle Abandon();
  PushSettle state();

 private:
  // Sets `to` unless already settled; returns the state then.
  PushSettle Settle(PushSettle to);

  std::function<void()> on_release_;
  absl::Mutex mu_;
  PushSettle state_ ABSL_GUARDED_BY(mu_) = PushSettle::kPending;
};

}  // namespace schedsvc::push

#endif  // SCHEDSVC_PUSH_PUSH_ACK_HANDLE_H_
