#include "src/pubsub/admin_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/pubsub/v1/pubsub.grpc.pb.h"
#include "src/pubsub/internal/grpc_status.h"

namespace schedsvc::pubsub {
namespace {

namespace v1 = ::google::pubsub::v1;

// How long Pub/Sub gets to answer the GetSubscription that tells an empty long poll from a silent server
// (the emulator on a loaded machine can pause for seconds; capped by ConnectionOptions::rpc_timeout).
constexpr absl::Duration kAnswerProbeTimeout = absl::Seconds(5);

class GrpcAdminClient final : public AdminClient {
 public:
  explicit GrpcAdminClient(ConnectionOptions options)
      : options_(std::move(options)),
        channel_(MakeChannel(options_)),
        publisher_(v1::Publisher::NewStub(channel_)),
        subscriber_(v1::Subscriber::NewStub(channel_)) {}

  absl::StatusOr<v1::Topic> CreateTopic(const std::string& topic) override {
    v1::Topic request;
    request.set_name(topic);
    return Call<v1::Topic>([&](grpc::ClientContext* ctx, v1::Topic* out) {
      return publisher_->CreateTopic(ctx, request, out);
    });
  }

  absl::StatusOr<v1::Topic> GetTopic(const std::string& topic) override {
    v1::GetTopicRequest request;
    request.set_topic(topic);
    return Call<v1::Topic>([&](grpc::ClientContext* ctx, v1::Topic* out) {
      return publisher_->GetTopic(ctx, request, out);
    });
  }

  absl::Status DeleteTopic(const std::string& topic) override {
    v1::DeleteTopicRequest request;
    request.set_topic(topic);
    return Call<google::protobuf::Empty>([&](grpc::ClientContext* ctx, google::protobuf::Empty* out) {
             return publisher_->DeleteTopic(ctx, request, out);
           })
        .status();
  }

  absl::StatusOr<v1::Subscription> CreateSubscription(const v1::Subscription& subscription) override {
    return Call<v1::Subscription>([&](grpc::ClientContext* ctx, v1::Subscription* out) {
      return subscriber_->CreateSubscription(ctx, subscription, out);
    });
  }

  absl::StatusOr<v1::Subscription> GetSubscription(const std::string& subscription) override {
    v1::GetSubscriptionRequest request;
    request.set_subscription(subscription);
    return Call<v1::Subscription>([&](grpc::ClientContext* ctx, v1::Subscription* out) {
      return subscriber_->GetSubscription(ctx, request, out);
    });
  }

  absl::StatusOr<v1::Subscription> UpdateSubscription(
      const v1::Subscription& subscription, const std::vector<std::string>& update_mask_paths) override {
    v1::UpdateSubscriptionRequest request;
    *request.mutable_subscription() = subscription;
    for (const auto& path : update_mask_paths) request.mutable_update_mask()->add_paths(path);
    return Call<v1::Subscription>([&](grpc::ClientContext* ctx, v1::Subscription* out) {
      return subscriber_->UpdateSubscription(ctx, request, out);
    });
  }

  absl::Status DeleteSubscription(const std::string& subscription) override {
    v1::DeleteSubscriptionRequest request;
    request.set_subscription(subscription);
    return Call<google::protobuf::Empty>([&](grpc::ClientContext* ctx, google::protobuf::Empty* out) {
             return subscriber_->DeleteSubscription(ctx, request, out);
           })
        .status();
  }

  absl::StatusOr<std::vector<v1::ReceivedMessage>> Pull(const std::string& subscription,
                                                        int max_messages) override {
    v1::PullRequest request;
    request.set_subscription(subscription);
    request.set_max_messages(max_messages);
    // Inspection wants "what is there now", not a long poll.
    request.set_return_immediately(true);
    auto response = Call<v1::PullResponse>([&](grpc::ClientContext* ctx, v1::PullResponse* out) {
      return subscriber_->Pull(ctx, request, out);
    });
    if (!response.ok()) return response.status();
    return std::vector<v1::ReceivedMessage>(response->received_messages().begin(),
                                            response->received_messages().end());
  }

  absl::StatusOr<std::vector<v1::ReceivedMessage>> PullWaiting(const std::string& subscription, int max_messages,
                                                               absl::Duration wait) override {
    v1::PullRequest request;
    request.set_subscription(subscription);
    request.set_max_messages(max_messages);
    request.set_return_immediately(false);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(wait));
    v1::PullResponse response;
    const grpc::Status status = subscriber_->Pull(&ctx, request, &response);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      // Nothing arrived within `wait` -- or Pub/Sub does not answer at all (hung, or not Pub/Sub): ask it
      // something that answers at once, so a silent server is an error and never reads as "nothing there".
      if (absl::Status answered = Answers(subscription); !answered.ok()) return answered;
      return std::vector<v1::ReceivedMessage>{};
    }
    if (!status.ok()) return pubsub_internal::FromGrpc(status);
    return std::vector<v1::ReceivedMessage>(response.received_messages().begin(),
                                            response.received_messages().end());
  }

  absl::Status Acknowledge(const std::string& subscription,
                           const std::vector<std::string>& ack_ids) override {
    v1::AcknowledgeRequest request;
    request.set_subscription(subscription);
    for (const auto& id : ack_ids) request.add_ack_ids(id);
    return Call<google::protobuf::Empty>([&](grpc::ClientContext* ctx, google::protobuf::Empty* out) {
             return subscriber_->Acknowledge(ctx, request, out);
           })
        .status();
  }

  absl::Status ModifyAckDeadline(const std::string& subscription, const std::vector<std::string>& ack_ids,
                                 int seconds) override {
    v1::ModifyAckDeadlineRequest request;
    request.set_subscription(subscription);
    for (const auto& id : ack_ids) request.add_ack_ids(id);
    request.set_ack_deadline_seconds(seconds);
    return Call<google::protobuf::Empty>([&](grpc::ClientContext* ctx, google::protobuf::Empty* out) {
             return subscriber_->ModifyAckDeadline(ctx, request, out);
           })
        .status();
  }

 private:
  // OK when Pub/Sub answers a GetSubscription of `subscription` within kAnswerProbeTimeout -- with the
  // subscription or with an error such as PERMISSION_DENIED (an account with roles/pubsub.subscriber may pull
  // but not get it): any answer shows a live server. kUnavailable naming the endpoint when it does not
  // answer; the call's error when the channel is down (UNAVAILABLE).
  absl::Status Answers(const std::string& subscription) {
    v1::GetSubscriptionRequest request;
    request.set_subscription(subscription);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(std::min(kAnswerProbeTimeout, options_.rpc_timeout)));
    v1::Subscription response;
    const grpc::Status status = subscriber_->GetSubscription(&ctx, request, &response);
    switch (status.error_code()) {
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return absl::UnavailableError(absl::StrCat("Pub/Sub at ", ResolveEndpoint(options_).address,
                                                   " did not answer a pull of ", subscription));
      case grpc::StatusCode::UNAVAILABLE:
        return pubsub_internal::FromGrpc(status);
      default:
        return absl::OkStatus();
    }
  }

  template <typename Response, typename Fn>
  absl::StatusOr<Response> Call(Fn fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.rpc_timeout));
    Response response;
    grpc::Status status = fn(&ctx, &response);
    if (!status.ok()) return pubsub_internal::FromGrpc(status);
    return response;
  }

  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Publisher::Stub> publisher_;
  std::unique_ptr<v1::Subscriber::Stub> subscriber_;
};

}  // namespace

std::unique_ptr<AdminClient> MakeAdminClient(ConnectionOptions connection) {
  return std::make_unique<GrpcAdminClient>(std::move(connection));
}

}  // namespace schedsvc::pubsub
