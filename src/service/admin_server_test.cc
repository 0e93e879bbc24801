#include "src/service/admin_server.h"

#include <httplib.h>

#include <atomic>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/slow_http_clients.h"

namespace schedsvc::service {
namespace {

constexpr int kServiceUnavailable = 503;
constexpr int kOk = 200;
constexpr int kPayloadTooLarge = 413;
// Rounds of header lines from each slow client (testing/slow_http_clients.h has the crowd's size and pace).
constexpr int kTrickles = 12;
using testing::kProbeTimeoutSeconds;
using testing::kSlowClients;
using testing::kSlowClientsStart;
using testing::kTrickleInterval;
// A body small enough to reach the server with its head: the server closes without reading a refused
// body, and a larger one would still be on its way (the client's write would then fail, not the test).
constexpr std::size_t kBodyBytes = 4 * 1024;

std::unique_ptr<AdminServer> StartReadyServer() {
  auto server = std::make_unique<AdminServer>(
      std::make_shared<prometheus::Registry>(), [] { return Readiness{true, ""}; }, nullptr);
  EXPECT_TRUE(server->Start("127.0.0.1:0").ok());
  return server;
}

TEST(AdminServerTest, ReadyzAnswersNotReadyWithTheReasonInTheBody) {
  std::atomic<bool> ready{false};
  AdminServer server(
      std::make_shared<prometheus::Registry>(),
      [&] {
        return ready ? Readiness{true, ""}
                     : Readiness{false, "no stream connected: stream 0: NOT_FOUND: Subscription does not exist"};
      },
      nullptr);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());
  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, kServiceUnavailable);
  EXPECT_EQ(not_ready->body, "not ready: no stream connected: stream 0: NOT_FOUND: Subscription does not exist\n");
  ready = true;
  auto now_ready = client.Get("/readyz");
  ASSERT_TRUE(now_ready);
  EXPECT_EQ(now_ready->status, kOk);
  EXPECT_EQ(now_ready->body, "ready\n");
  server.Stop();
}

// A hundred connections that each trickle a header line every second (never finishing their request) do
// not keep the probes from being answered.
TEST(AdminServerTest, SlowClientsDoNotStarveTheProbes) {
  std::unique_ptr<AdminServer> server = StartReadyServer();
  testing::SlowHttpClients slow;
  ASSERT_TRUE(slow.Start(server->port(), kSlowClients, "GET /metrics HTTP/1.1\r\n", kTrickleInterval, kTrickles).ok());
  absl::SleepFor(kSlowClientsStart);
  httplib::Client probe("127.0.0.1", server->port());
  probe.set_connection_timeout(kProbeTimeoutSeconds);
  probe.set_read_timeout(kProbeTimeoutSeconds);
  auto healthz = probe.Get("/healthz");
  auto readyz = probe.Get("/readyz");
  slow.Stop();
  ASSERT_TRUE(healthz) << "no answer to /healthz: " << httplib::to_string(healthz.error());
  EXPECT_EQ(healthz->status, kOk);
  ASSERT_TRUE(readyz) << "no answer to /readyz: " << httplib::to_string(readyz.error());
  EXPECT_EQ(readyz->status, kOk);
  server->Stop();
}

// The admin port serves GETs only: a request that carries a body (a POST, a GET with a Content-Length,
// a chunked upload) is refused with 413 before the body is read, and the server keeps answering.
TEST(AdminServerTest, RefusesRequestBodiesWith413AndStaysHealthy) {
  std::unique_ptr<AdminServer> server = StartReadyServer();
  httplib::Client client("127.0.0.1", server->port());
  const std::string body(kBodyBytes, 'x');
  auto post = client.Post("/healthz", body, "application/octet-stream");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, kPayloadTooLarge);
  EXPECT_NE(post->body.find("no request body"), std::string::npos) << post->body;

  httplib::Request get_with_body;
  get_with_body.method = "GET";
  get_with_body.path = "/readyz";
  get_with_body.body = body;
  auto get = client.send(get_with_body);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, kPayloadTooLarge);

  httplib::Request chunked;
  chunked.method = "GET";
  chunked.path = "/healthz";
  chunked.set_header("Transfer-Encoding", "chunked");
  auto chunked_answer = client.send(chunked);
  ASSERT_TRUE(chunked_answer);
  EXPECT_EQ(chunked_answer->status, kPayloadTooLarge);

  auto healthz = client.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, kOk);
  server->Stop();
}

}  // namespace
}  // namespace schedsvc::service
