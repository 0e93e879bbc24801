#include "src/pubsub/admin_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

// A long poll that ends at its deadline means "nothing arrived" only when Pub/Sub answers at all: a server
// that never answers must be an error, or `schedctl dlq list` and the console read it as no dead letters.
TEST(AdminClientTest, APullFromAPubsubThatNeverAnswersIsAnErrorNotEmpty) {
  SilentListener silent;
  ASSERT_GT(silent.port(), 0);
  ConnectionOptions connection;
  connection.endpoint = absl::StrCat("127.0.0.1:", silent.port());
  connection.plaintext = true;
  connection.rpc_timeout = kRpcTimeout;
  auto client = MakeAdminClient(connection);
  auto pulled = client->PullWaiting(kSubscription, 10, kWait);
  ASSERT_FALSE(pulled.ok()) << "a silent server read as " << pulled->size() << " messages";
  EXPECT_EQ(pulled.status().code(), absl::StatusCode::kUnavailable) << pulled.status();
}

}  // namespace
}  // namespace schedsvc::pubsub
