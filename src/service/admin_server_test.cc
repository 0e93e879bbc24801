#include "src/service/admin_server.h"

#include <httplib.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/dispatch/recent_deliveries.h"
#include "src/service/deliveries_endpoint.h"
#include "testing/slow_http_clients.h"

namespace schedsvc::service {
namespace {

constexpr int kServiceUnavailable = 503;
constexpr int kOk = 200;
constexpr int kPayloadTooLarge = 413;
constexpr int kBadRequest = 400;
constexpr int kNotFound = 404;
constexpr int kForbidden = 403;
constexpr std::size_t kRingCapacity = 16;
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

// /debug/deliveries over real HTTP: the ring as JSON, newest first, filtered by the query.
TEST(AdminServerTest, DebugDeliveriesServesTheRingFilteredAsJson) {
  dispatch::RecentDeliveries ring(kRingCapacity);
  const absl::Time t = absl::FromUnixSeconds(1774746000);
  ring.Add(dispatch::MakeDeliveryRecord(t, "1", t, 1, {{"path", "/ok"}}, "demo", 2, kOk, absl::Milliseconds(5),
                                        dispatch::FinalOutcome::kDelivered, "", ""));
  ring.Add(dispatch::MakeDeliveryRecord(t, "2", t, 1, {{"path", "bad"}}, "demo", 1, 0, absl::Milliseconds(1),
                                        dispatch::FinalOutcome::kDeadLettered, "invalid_path", "bad path"));
  ring.Add(dispatch::MakeDeliveryRecord(t, "3", t, 1, {}, "other", 1, kOk, absl::Milliseconds(5),
                                        dispatch::FinalOutcome::kDelivered, "", ""));
  AdminServer server(
      std::make_shared<prometheus::Registry>(), [] { return Readiness{true, ""}; }, nullptr);
  server.ServeRecentDeliveries(&ring);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());

  auto all = client.Get("/debug/deliveries");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->status, kOk);
  EXPECT_EQ(all->get_header_value("Content-Type"), "application/json");
  nlohmann::json j = nlohmann::json::parse(all->body);
  EXPECT_EQ(j["capacity"], kRingCapacity);
  ASSERT_EQ(j["deliveries"].size(), 3u);
  EXPECT_EQ(j["deliveries"][0]["messageId"], "3");
  EXPECT_EQ(j["deliveries"][2]["messageId"], "1");
  EXPECT_EQ(j["deliveries"][2]["time"], "2026-03-29T01:00:00Z");

  auto demo_delivered = client.Get("/debug/deliveries?backend=demo&outcome=delivered");
  ASSERT_TRUE(demo_delivered);
  j = nlohmann::json::parse(demo_delivered->body);
  ASSERT_EQ(j["deliveries"].size(), 1u);
  EXPECT_EQ(j["deliveries"][0]["messageId"], "1");
  EXPECT_EQ(j["deliveries"][0]["attempts"], 2);

  auto newest = client.Get("/debug/deliveries?limit=1");
  ASSERT_TRUE(newest);
  j = nlohmann::json::parse(newest->body);
  ASSERT_EQ(j["deliveries"].size(), 1u);
  EXPECT_EQ(j["deliveries"][0]["messageId"], "3");

  auto dead = client.Get("/debug/deliveries?outcome=dead_lettered");
  ASSERT_TRUE(dead);
  j = nlohmann::json::parse(dead->body);
  ASSERT_EQ(j["deliveries"].size(), 1u);
  EXPECT_EQ(j["deliveries"][0]["reason"], "bad path");
  EXPECT_EQ(j["deliveries"][0]["reasonCode"], "invalid_path");
  server.Stop();
}

TEST(AdminServerTest, DebugDeliveriesRefusesABadQueryWith400) {
  dispatch::RecentDeliveries ring(kRingCapacity);
  AdminServer server(
      std::make_shared<prometheus::Registry>(), [] { return Readiness{true, ""}; }, nullptr);
  server.ServeRecentDeliveries(&ring);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());
  auto bad_limit = client.Get("/debug/deliveries?limit=-3");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, kBadRequest);
  EXPECT_EQ(nlohmann::json::parse(bad_limit->body)["error"], "limit must be a whole number from 1 to 10000, got '-3'");
  auto bad_outcome = client.Get("/debug/deliveries?outcome=retried");
  ASSERT_TRUE(bad_outcome);
  EXPECT_EQ(bad_outcome->status, kBadRequest);
  EXPECT_NE(bad_outcome->body.find("outcome must be one of delivered, handed_back, dead_lettered, lost"),
            std::string::npos)
      << bad_outcome->body;
  server.Stop();
}

// admin.recent_deliveries: 0 keeps no ring: the endpoint is not there.
TEST(AdminServerTest, DebugDeliveriesIs404WithoutARing) {
  std::unique_ptr<AdminServer> server = StartReadyServer();
  httplib::Client client("127.0.0.1", server->port());
  auto answer = client.Get("/debug/deliveries");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, kNotFound);
  EXPECT_NE(answer->body.find("admin.recent_deliveries"), std::string::npos) << answer->body;
  server->Stop();
}

// On a loopback admin.listen, a web page can reach the port through DNS rebinding (its own name resolving
// to 127.0.0.1): /debug/deliveries answers only a Host naming loopback; the probes and /metrics answer any.
TEST(AdminServerTest, DebugDeliveriesOnLoopbackRefusesAForeignHostWith403) {
  dispatch::RecentDeliveries ring(kRingCapacity);
  const absl::Time t = absl::FromUnixSeconds(1774746000);
  ring.Add(dispatch::MakeDeliveryRecord(t, "1", t, 1, {{"path", "/ok"}}, "demo", 1, kOk, absl::Milliseconds(5),
                                        dispatch::FinalOutcome::kDelivered, "", ""));
  AdminServer server(
      std::make_shared<prometheus::Registry>(), [] { return Readiness{true, ""}; }, nullptr);
  server.ServeRecentDeliveries(&ring);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());
  const std::string port = absl::StrCat(server.port());

  for (const std::string& host : {absl::StrCat("attacker.example:", port), std::string("attacker.example"),
                                  absl::StrCat("127.0.0.1.attacker.example:", port),
                                  absl::StrCat("localhost.attacker.example:", port), std::string("")}) {
    auto refused = client.Get("/debug/deliveries", {{"Host", host}});
    ASSERT_TRUE(refused) << host;
    EXPECT_EQ(refused->status, kForbidden) << host;
    EXPECT_EQ(refused->body.find("\"1\""), std::string::npos) << "no record for Host " << host;
    EXPECT_NE(refused->body.find("Host"), std::string::npos) << refused->body;
  }
  for (const std::string& host : {absl::StrCat("127.0.0.1:", port), std::string("127.0.0.1"),
                                  absl::StrCat("localhost:", port), std::string("localhost"),
                                  absl::StrCat("[::1]:", port), std::string("[::1]")}) {
    auto allowed = client.Get("/debug/deliveries", {{"Host", host}});
    ASSERT_TRUE(allowed) << host;
    EXPECT_EQ(allowed->status, kOk) << host;
  }
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    auto probe = client.Get(path, {{"Host", "10.1.2.3:9090"}});
    ASSERT_TRUE(probe) << path;
    EXPECT_EQ(probe->status, kOk) << path;
  }
  server.Stop();
}

// Without `limit` the endpoint lists the newest kDefaultDeliveriesLimit records, not the whole ring; an
// explicit limit above it (the console asks for 500) is honoured up to the ring's size.
TEST(AdminServerTest, DebugDeliveriesListsADefaultNumberWithoutALimit) {
  constexpr std::size_t kBigRing = 1000;
  constexpr std::size_t kRecords = 600;
  constexpr int kConsoleLimit = 500;
  dispatch::RecentDeliveries ring(kBigRing);
  const absl::Time t = absl::FromUnixSeconds(1774746000);
  for (std::size_t i = 0; i < kRecords; ++i) {
    ring.Add(dispatch::MakeDeliveryRecord(t, absl::StrCat(i), t, 1, {}, "demo", 1, kOk, absl::Milliseconds(1),
                                          dispatch::FinalOutcome::kDelivered, "", ""));
  }
  AdminServer server(
      std::make_shared<prometheus::Registry>(), [] { return Readiness{true, ""}; }, nullptr);
  server.ServeRecentDeliveries(&ring);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());

  auto defaulted = client.Get("/debug/deliveries");
  ASSERT_TRUE(defaulted);
  ASSERT_EQ(defaulted->status, kOk);
  nlohmann::json j = nlohmann::json::parse(defaulted->body);
  ASSERT_EQ(j["deliveries"].size(), kDefaultDeliveriesLimit);
  EXPECT_EQ(j["deliveries"][0]["messageId"], absl::StrCat(kRecords - 1));

  auto console = client.Get(absl::StrCat("/debug/deliveries?limit=", kConsoleLimit));
  ASSERT_TRUE(console);
  ASSERT_EQ(console->status, kOk);
  EXPECT_EQ(nlohmann::json::parse(console->body)["deliveries"].size(), static_cast<std::size_t>(kConsoleLimit));
  server.Stop();
}

}  // namespace
}  // namespace schedsvc::service
