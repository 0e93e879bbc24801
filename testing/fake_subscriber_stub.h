// FakeSubscriberStub / FakeStreamingPullStream: scripted stand-ins for the gRPC seam of the subscriber
// (src/pubsub/internal/subscriber_stub.h). Tests create streams through the stub, then drive each one:
// Establish(), Deliver(response), Finish(status); writes, half-closes and cancels are recorded. Unary ack/modack RPCs
// are recorded and answered with a scripted status, synchronously on the caller's thread.
#ifndef SCHEDSVC_TESTING_FAKE_SUBSCRIBER_STUB_H_
#define SCHEDSVC_TESTING_FAKE_SUBSCRIBER_STUB_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "src/pubsub/internal/subscriber_stub.h"

namespace schedsvc::testing {

class FakeStreamingPullStream final : public pubsub_internal::StreamingPullStream {
 public:
  void Start(google::pubsub::v1::StreamingPullRequest initial, Callbacks callbacks) override {
    absl::MutexLock lock(&mu_);
    initial_ = std::move(initial);
    callbacks_ = std::move(callbacks);
    started_ = true;
  }
  // Records the request; unless HoldWrites() was called, the write completes at once.
  bool Write(google::pubsub::v1::StreamingPullRequest request) override {
    Callbacks cb;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || write_pending_) return false;
      writes_.push_back(std::move(request));
      write_pending_ = !auto_complete_writes_;
      if (!write_pending_) cb = callbacks_;
    }
    if (cb.on_write_done) cb.on_write_done(true);
    return true;
  }
  // Records the half-close; the stream ends only when the test Finish()es it (or it is cancelled).
  void Close() override {
    absl::MutexLock lock(&mu_);
    ++closes_;
  }
  void Cancel() override {
    {
      absl::MutexLock lock(&mu_);
      ++cancels_;
    }
    Finish(absl::CancelledError("cancelled"));
  }
  // Records whether reading is paused; the test decides whether to Deliver() anyway.
  void PauseReading() override {
    absl::MutexLock lock(&mu_);
    reading_paused_ = true;
  }
  void ResumeReading() override {
    absl::MutexLock lock(&mu_);
    reading_paused_ = false;
  }

  // Test controls.
  void Establish() {
    auto cb = GetCallbacks();
    if (cb.on_established) cb.on_established();
  }
  void Deliver(google::pubsub::v1::StreamingPullResponse response) {
    auto cb = GetCallbacks();
    cb.on_read(std::move(response));
  }
  void Finish(absl::Status status) {
    Callbacks cb;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || !started_) return;
      finished_ = true;
      cb = callbacks_;
    }
    cb.on_finish(std::move(status));
  }
  // Completes the initial request's write (the server has not answered yet): on_write_done(true).
  void CompleteInitialWrite() { CompleteWrite(true); }
  // Writes stay pending (a stuck stream) until CompleteWrite().
  void HoldWrites() {
    absl::MutexLock lock(&mu_);
    auto_complete_writes_ = false;
  }
  void CompleteWrite(bool ok) {
    Callbacks cb;
    {
      absl::MutexLock lock(&mu_);
      write_pending_ = false;
      cb = callbacks_;
    }
    cb.on_write_done(ok);
  }

  google::pubsub::v1::StreamingPullRequest initial() {
    absl::MutexLock lock(&mu_);
    return initial_;
  }
  std::size_t writes() {
    absl::MutexLock lock(&mu_);
    return writes_.size();
  }
  int cancels() {
    absl::MutexLock lock(&mu_);
    return cancels_;
  }
  int closes() {
    absl::MutexLock lock(&mu_);
    return closes_;
  }
  bool finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  bool reading_paused() {
    absl::MutexLock lock(&mu_);
    return reading_paused_;
  }

 private:
  Callbacks GetCallbacks() {
    absl::MutexLock lock(&mu_);
    return callbacks_;
  }

  absl::Mutex mu_;
  google::pubsub::v1::StreamingPullRequest initial_ ABSL_GUARDED_BY(mu_);
  pubsub_internal::StreamingPullStream::Callbacks callbacks_ ABSL_GUARDED_BY(mu_);
  std::vector<google::pubsub::v1::StreamingPullRequest> writes_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool auto_complete_writes_ ABSL_GUARDED_BY(mu_) = true;
  bool reading_paused_ ABSL_GUARDED_BY(mu_) = false;
  int cancels_ ABSL_GUARDED_BY(mu_) = 0;
  int closes_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeSubscriberStub final : public pubsub_internal::SubscriberStub {
 public:
  std::shared_ptr<pubsub_internal::StreamingPullStream> MakeStream(int index) override {
    auto stream = std::make_shared<FakeStreamingPullStream>();
    absl::MutexLock lock(&mu_);
    streams_.push_back(stream);
    return stream;
  }
  void AsyncAcknowledge(google::pubsub::v1::AcknowledgeRequest request,
                        std::function<void(absl::Status)> done) override {
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      acks_.push_back(request);
      status = NextStatusLocked();
    }
    done(status);
  }
  void AsyncModifyAckDeadline(google::pubsub::v1::ModifyAckDeadlineRequest request,
                              std::function<void(absl::Status)> done) override {
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      modacks_.push_back(request);
      status = NextStatusLocked();
    }
    done(status);
  }

  // The next unary RPCs fail with these statuses, in order; then they succeed.
  void FailNextRpcs(std::vector<absl::Status> statuses) {
    absl::MutexLock lock(&mu_);
    for (auto& s : statuses) failures_.push_back(std::move(s));
  }

  std::vector<std::shared_ptr<FakeStreamingPullStream>> streams() {
    absl::MutexLock lock(&mu_);
    return streams_;
  }
  std::vector<google::pubsub::v1::AcknowledgeRequest> acks() {
    absl::MutexLock lock(&mu_);
    return acks_;
  }
  std::vector<google::pubsub::v1::ModifyAckDeadlineRequest> modacks() {
    absl::MutexLock lock(&mu_);
    return modacks_;
  }
  // All ack ids acknowledged so far, in order.
  std::vector<std::string> acked_ids() {
    std::vector<std::string> ids;
    for (const auto& r : acks()) ids.insert(ids.end(), r.ack_ids().begin(), r.ack_ids().end());
    return ids;
  }

 private:
  absl::Status NextStatusLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (failures_.empty()) return absl::OkStatus();
    absl::Status s = failures_.front();
    failures_.pop_front();
    return s;
  }

  absl::Mutex mu_;
  std::vector<std::shared_ptr<FakeStreamingPullStream>> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<google::pubsub::v1::AcknowledgeRequest> acks_ ABSL_GUARDED_BY(mu_);
  std::vector<google::pubsub::v1::ModifyAckDeadlineRequest> modacks_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_FAKE_SUBSCRIBER_STUB_H_
