#include "src/pubsub/admin_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/pubsub/v1/pubsub.grpc.pb.h"
#include "gtest/gtest.h"

namespace schedsvc::pubsub {
namespace {

constexpr absl::Duration kWait = absl::Milliseconds(300);
constexpr absl::Duration kRpcTimeout = absl::Seconds(1);
constexpr char kSubscription[] = "projects/p/subscriptions/s";

// A loopback port whose connections the kernel completes and nothing ever answers: a hung Pub/Sub.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && ::listen(fd_, SOMAXCONN) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A Pub/Sub Subscriber that has nothing to deliver: Pull ends as a long poll that found nothing does, and
// GetSubscription answers `get_status` at once (PERMISSION_DENIED for an account with roles/pubsub.subscriber
// only, which may pull but not get the subscription).
class EmptySubscriber final : public google::pubsub::v1::Subscriber::Service {
 public:
  explicit EmptySubscriber(grpc::Status get_status) : get_status_(std::move(get_status)) {}

  // What a long poll that found nothing ends with, answered at once.
  grpc::Status Pull(grpc::ServerContext*, const google::pubsub::v1::PullRequest*,
                    google::pubsub::v1::PullResponse*) override {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no message");
  }
  grpc::Status GetSubscription(grpc::ServerContext*, const google::pubsub::v1::GetSubscriptionRequest*,
                               google::pubsub::v1::Subscription*) override {
    return get_status_;
  }

 private:
  grpc::Status get_status_;
};

// EmptySubscriber served on a loopback port.
class EmptySubscriberServer {
 public:
  explicit EmptySubscriberServer(grpc::Status get_status) : service_(std::move(get_status)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~EmptySubscriberServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  int port() const { return port_; }

 private:
  EmptySubscriber service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

std::unique_ptr<AdminClient> ClientOf(int port) {
  ConnectionOptions connection;
  connection.endpoint = absl::StrCat("127.0.0.1:", port);
  connection.plaintext = true;
  connection.rpc_timeout = kRpcTimeout;
  return MakeAdminClient(connection);
}

// A long poll that ends at its deadline means "nothing arrived" only when Pub/Sub answers at all: a server
// that never answers must be an error, or `schedctl dlq list` and the console read it as no dead letters.
TEST(AdminClientTest, APullFromAPubsubThatNeverAnswersIsAnErrorNotEmpty) {
  SilentListener silent;
  ASSERT_GT(silent.port(), 0);
  auto pulled = ClientOf(silent.port())->PullWaiting(kSubscription, 10, kWait);
  ASSERT_FALSE(pulled.ok()) << "a silent server read as " << pulled->size() << " messages";
  EXPECT_EQ(pulled.status().code(), absl::StatusCode::kUnavailable) << pulled.status();
}

// Any answer proves Pub/Sub is there: an empty subscription stays empty, also for an account that may pull
// but not get the subscription (schedctl dlq list/replay and the console run with such accounts).
TEST(AdminClientTest, AnEmptyPullIsEmptyWhenPubsubAnswersEvenWithAnError) {
  for (const grpc::Status& get_status :
       {grpc::Status::OK, grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "pubsub.subscriptions.get")}) {
    EmptySubscriberServer server(get_status);
    ASSERT_GT(server.port(), 0);
    auto pulled = ClientOf(server.port())->PullWaiting(kSubscription, 10, kWait);
    ASSERT_TRUE(pulled.ok()) << get_status.error_message() << ": " << pulled.status();
    EXPECT_TRUE(pulled->empty());
  }
}

}  // namespace
}  // namespace schedsvc::pubsub
