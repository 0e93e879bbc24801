// SubscriberStub and StreamingPullStream: the narrow seam between the subscriber pipeline and gRPC.
// The production implementations (grpc_subscriber_stub.cc) wrap the generated google.pubsub.v1 stub;
// unit tests script fakes (testing/fake_subscriber_stub.h) with responses, stream breaks and errors.
#ifndef SCHEDSVC_PUBSUB_INTERNAL_SUBSCRIBER_STUB_H_
#define SCHEDSVC_PUBSUB_INTERNAL_SUBSCRIBER_STUB_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "src/pubsub/connection_options.h"

namespace schedsvc::pubsub_internal {

// One StreamingPull call. Callbacks arrive on transport threads, never on the caller's stack, one at a
// time per stream, and nothing arrives after on_finish.
class StreamingPullStream {
 public:
  struct Callbacks {
    // The server accepted the stream: its initial metadata arrived (not for a trailers-only answer such
    // as an immediate NOT_FOUND). A response with messages is acceptance too, even without this.
    std::function<void()> on_established;
    // A response with messages.
    std::function<void(google::pubsub::v1::StreamingPullResponse)> on_read;
    // A write (the initial request or a heartbeat) completed; `ok` false means the stream is broken.
    std::function<void(bool ok)> on_write_done;
    // The call ended with `status` (kCancelled after Cancel()).
    std::function<void(absl::Status status)> on_finish;
  };
  virtual ~StreamingPullStream() = default;

  // Starts the call, writes `initial` and reads until the call ends. Called once.
  virtual void Start(google::pubsub::v1::StreamingPullRequest initial, Callbacks callbacks) = 0;
  // Writes a further request (a heartbeat). Returns false if a write is still outstanding.
  virtual bool Write(google::pubsub::v1::StreamingPullRequest request) = 0;
  // Half-closes the call (no more requests follow: WritesDone). The server then ends the call, and
  // responses already on their way may still arrive before on_finish. Further Write()s are refused.
  virtual void Close() = 0;
  // Ends the call at once; on_finish follows.
  virtual void Cancel() = 0;
  // Stops reading responses after the one being delivered (a stream that is not read applies HTTP/2
  // flow control back to the server), and resumes. Close() and Cancel() resume reading, so the call can
  // end. Never call back on the caller's stack. May be called before Start().
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
};

class SubscriberStub {
 public:
  virtual ~SubscriberStub() = default;

  // Returns a new, not yet started stream. `index` picks the channel it runs on.
  virtual std::shared_ptr<StreamingPullStream> MakeStream(int index) = 0;

  // Unary RPCs; `done` runs on a transport thread with the RPC's status.
  virtual void AsyncAcknowledge(google::pubsub::v1::AcknowledgeRequest request,
                                std::function<void(absl::Status)> done) = 0;
  virtual void AsyncModifyAckDeadline(google::pubsub::v1::ModifyAckDeadlineRequest request,
                                      std::function<void(absl::Status)> done) = 0;
};

// Returns the gRPC implementation over `options.channels` channels.
std::shared_ptr<SubscriberStub> MakeGrpcSubscriberStub(const schedsvc::pubsub::ConnectionOptions& options);

}  // namespace schedsvc::pubsub_internal

#endif  // SCHEDSVC_PUBSUB_INTERNAL_SUBSCRIBER_STUB_H_
