// OwnerThreadDestruction: owns an object and hands out shared references to it whose release only
// signals; the object itself is destroyed by Destroy(), on the thread that calls it, once the last
// handed-out reference is gone. DefaultSubscriber (subscriber.cc) holds its gRPC stub this way: a gRPC
// callback may drop the last reference to a part that holds the stub, and destroying the stub's channels
// on a gRPC callback thread makes gRPC 1.51 abort (`ref_counted.h: assertion failed: prior > 0`). Nothing
// polls: the release of the last reference, on whatever thread, wakes the waiting owner.
// Thread-safety: shared() may be copied from any thread; Destroy() is called once, by the owner.
#ifndef SCHEDSVC_PUBSUB_INTERNAL_OWNER_THREAD_DESTRUCTION_H_
#define SCHEDSVC_PUBSUB_INTERNAL_OWNER_THREAD_DESTRUCTION_H_

#include <memory>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace schedsvc::pubsub_internal {

template <typename T>
class OwnerThreadDestruction {
 public:
  // `object` must not be shared elsewhere (this becomes its only owner); it must not use
  // enable_shared_from_this, whose references would bypass the signalling ones.
  explicit OwnerThreadDestruction(std::shared_ptr<T> object)
      : object_(std::move(object)),
        released_(std::make_shared<absl::Notification>()),
        shared_(object_.get(), [released = released_](T*) { released->Notify(); }) {}
  OwnerThreadDestruction(const OwnerThreadDestruction&) = delete;
  OwnerThreadDestruction& operator=(const OwnerThreadDestruction&) = delete;
  // Destroy() should have been called; if not, the object is destroyed with this owner only when no
  // handed-out reference remains, and leaked otherwise.
  ~OwnerThreadDestruction() { Destroy(absl::ZeroDuration()); }

  // A reference for the object's users. Null after Destroy().
  const std::shared_ptr<T>& shared() const { return shared_; }

  // Drops this owner's reference, waits up to `timeout` for every handed-out reference to go, then
  // destroys the object on the calling thread and returns true. If a reference is still held when
  // `timeout` passes, the object is left alive (leaked) rather than destroyed under its holder, and
  // false is returned. Later calls do nothing and return true.
  bool Destroy(absl::Duration timeout) {
    if (object_ == nullptr) return true;
    shared_.reset();
    if (!released_->WaitForNotificationWithTimeout(timeout)) {
      static_cast<void>(new std::shared_ptr<T>(std::move(object_)));
      return false;
    }
    object_.reset();
    return true;
  }

 private:
  std::shared_ptr<T> object_;
  std::shared_ptr<absl::Notification> released_;
  std::shared_ptr<T> shared_;
};

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_OWNER_THREAD_DESTRUCTION_H_
