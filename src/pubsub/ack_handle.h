// AckHandle: settles one received message exactly once. Ack(), Nack() and NackWithDelay() are
// rvalue-qualified, so settling consumes the handle (`std::move(handle).Ack()`), and a handle destroyed
// without being settled nacks its message, so nothing is left leased by mistake. Move-only value type;
// safe to settle from any thread, and after the subscriber has shut down (then it does nothing).
#ifndef SCHEDSVC_PUBSUB_ACK_HANDLE_H_
#define SCHEDSVC_PUBSUB_ACK_HANDLE_H_

#include <memory>
#include <string>

#include "absl/time/time.h"

namespace schedsvc::pubsub {

namespace internal {
// The seam between a handle and the session that leased the message (and for test doubles).
class AckHandleImpl {
 public:
  virtual ~AckHandleImpl() = default;
  virtual void Ack(const std::string& ack_id) = 0;
  // Makes the message available again after `delay` (zero: at once).
  virtual void Nack(const std::string& ack_id, absl::Duration delay) = 0;
};
}  // namespace internal

class AckHandle {
 public:
  AckHandle(std::shared_ptr<internal::AckHandleImpl> impl, std::string ack_id)
      : impl_(std::move(impl)), ack_id_(std::move(ack_id)) {}
  AckHandle(AckHandle&&) noexcept = default;
  AckHandle& operator=(AckHandle&& other) noexcept {
    if (this != &other) {
      Settle(absl::ZeroDuration(), false);
      impl_ = std::move(other.impl_);
      ack_id_ = std::move(other.ack_id_);
    }
    return *this;
  }
  AckHandle(const AckHandle&) = delete;
  AckHandle& operator=(const AckHandle&) = delete;
  ~AckHandle() { Settle(absl::ZeroDuration(), false); }

  // Acknowledges the message: Pub/Sub will not deliver it again.
  void Ack() && { Settle(absl::ZeroDuration(), true); }
  // Hands the message back for immediate redelivery (counts a delivery attempt).
  void Nack() && { Settle(absl::ZeroDuration(), false); }
  // Hands the message back to be redelivered no sooner than `delay` (ModifyAckDeadline `delay`, rounded
  // up to whole seconds, at most 600 s).
  void NackWithDelay(absl::Duration delay) && { Settle(delay, false); }

  const std::string& ack_id() const { return ack_id_; }

 private:
  void Settle(absl::Duration delay, bool ack) {
    auto impl = std::move(impl_);
    impl_.reset();
    if (!impl) return;
    if (ack) {
      impl->Ack(ack_id_);
    } else {
      impl->Nack(ack_id_, delay);
    }
  }

  std::shared_ptr<internal::AckHandleImpl> impl_;
  std::string ack_id_;
};

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_ACK_HANDLE_H_
