// ConsoleServer over real loopback HTTP: the page, the forwarding to small real upstream servers (scheduler
// emulator, admin port, demo backend stand-ins that record what reached them), the health probe, 502 when an
// upstream is down, the dead-letter API on the in-memory subscription of the dlq unit tests, and the
// request guards (allow-list, traversal, Host/Origin, body limits).
#include "src/console/console_server.h"

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/cli/fake_dlq_pubsub.h"
#include "src/console/console_assets.h"
#include "testing/child_process.h"
#include "testing/fake_clock.h"
#include "src/common/http_server_limits.h"

namespace schedsvc::console {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int kOk = 200;
constexpr int kBadRequest = 400;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr int kLengthRequired = 411;
constexpr int kPayloadTooLarge = 413;
constexpr int kBadGatewayStatus = 502;
constexpr int kServiceUnavailable = 503;
constexpr char kJobs[] = "/v1/projects/local-project/locations/us-central1/jobs";
constexpr char kGoogleError[] =
    R"({"error":{"code":400,"message":"schedule: bad cron","status":"INVALID_ARGUMENT"}})";
constexpr char kDeadSubscription[] = "projects/local-project/subscriptions/dead-inspect";
constexpr char kTopic[] = "projects/local-project/topics/scheduled-jobs";
constexpr std::size_t kMaxRequestBytes = 4096;
constexpr absl::Duration kAckDeadline = absl::Seconds(60);
constexpr absl::Duration kUpstreamStartTimeout = absl::Seconds(5);

// One request as an upstream saw it.
struct Seen {
  std::string method;
  std::string target;  // path and query
  std::string body;
  std::string content_type;
};

// A real loopback HTTP server standing in for one upstream; records every request.
class Upstream {
 public:
  Upstream() {
    // Recorded before the answer is written, so the test's client sees it once it has the answer.
    server_.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::string target = req.path;
      if (!req.params.empty()) {
        std::string query;
        for (const auto& [k, v] : req.params) absl::StrAppend(&query, query.empty() ? "" : "&", k, "=", v);
        absl::StrAppend(&target, "?", query);
      }
      absl::MutexLock lock(&mu_);
      seen_.push_back({req.method, target, req.body, req.get_header_value("Content-Type")});
    });
  }
  ~Upstream() { Stop(); }
  httplib::Server& server() { return server_; }
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = ServeInBackground(server_);
    testing::WaitForPort(port_, kUpstreamStartTimeout);
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

class ConsoleServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto json = [](const std::string& body) {
      return [body](const httplib::Request&, httplib::Response& res) { res.set_content(body, "application/json"); };
    };
    scheduler_.server().Get(".*", json(R"({"jobs":[{"name":"sample"}]})"));
    scheduler_.server().Post(".*", [](const httplib::Request& req, httplib::Response& res) {
      if (req.body.find("bad cron") != std::string::npos) {
        res.status = kBadRequest;
        res.set_content(kGoogleError, "application/json");
        return;
      }
      res.set_content(req.body, "application/json");
    });
    scheduler_.server().Patch(".*", json(R"({"patched":true})"));
    scheduler_.server().Delete(".*", json("{}"));
    admin_.server().Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    admin_.server().Get("/readyz", [](const httplib::Request&, httplib::Response& res) {
      res.status = kServiceUnavailable;
      res.set_content("not ready: no stream connected\n", "text/plain");
    });
    admin_.server().Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("schedsvc_in_flight_messages 0\n", "text/plain; version=0.0.4; charset=utf-8");
    });
    admin_.server().Get("/debug/deliveries", json(R"({"capacity":256,"deliveries":[]})"));
    backend_.server().Get("/_config", json(R"({"fail_rate":0})"));
    backend_.server().Post("/_config", json(R"({"fail_rate":1})"));
    backend_.server().Get("/_stats", json(R"({"calls":0})"));
    scheduler_.Start();
    admin_.Start();
    backend_.Start();

    client_.Add("bad", {{"path", "/bad"}, {"schedsvc.error", "HTTP 400 from demo"}});
    client_.Add("exhausted", {{"CloudPubSubDeadLetterSourceDeliveryCount", "5"}});
    DeadLetterViewOptions view;
    view.subscription = kDeadSubscription;
    view.replay_topic = kTopic;
    view.pacing = {absl::Milliseconds(1), 1, absl::ZeroDuration(), 100};
    dead_letters_ = std::make_unique<DeadLetterView>(
        view, client_,
        [this](const std::string&) -> absl::StatusOr<std::unique_ptr<pubsub::Publisher>> {
          return std::make_unique<cli::ForwardingPublisher>(publisher_);
        },
        clock_);
  }

  ConsoleOptions Options() {
    ConsoleOptions o;
    o.port = 0;
    o.config.topic = kTopic;
    o.config.dead_letter_subscription = kDeadSubscription;
    o.pubsub = {"127.0.0.1", scheduler_.port()};  // any listening port answers the TCP probe
    o.scheduler = {"127.0.0.1", scheduler_.port()};
    o.admin = {"127.0.0.1", admin_.port()};
    o.demo_backend = {"127.0.0.1", backend_.port()};
    o.upstream_timeout = absl::Seconds(2);
    o.max_request_bytes = kMaxRequestBytes;
    return o;
  }

  // Starts a console with `options`; its client in `http_`.
  void StartConsole(ConsoleOptions options) {
    console_ = std::make_unique<ConsoleServer>(std::move(options), dead_letters_.get());
    ASSERT_TRUE(console_->Start().ok());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    http_->set_read_timeout(10);
  }

  static nlohmann::json Json(const httplib::Result& r) { return nlohmann::json::parse(r->body, nullptr, false); }

  Upstream scheduler_;
  Upstream admin_;
  Upstream backend_;
  testing::FakeClock clock_;
  cli::FakeDlqAdminClient client_{clock_, kAckDeadline};
  cli::FakeDlqPublisher publisher_{clock_};
  std::unique_ptr<DeadLetterView> dead_letters_;
  std::unique_ptr<ConsoleServer> console_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(ConsoleServerTest, ServesTheEmbeddedPageWithItsHeaders) {
  StartConsole(Options());
  for (const std::string path : {"/", "/index.html", "/app.js", "/style.css"}) {
    auto r = http_->Get(path.c_str());
    ASSERT_TRUE(r) << path << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, kOk) << path;
    EXPECT_EQ(r->body, FindConsoleAsset(path)->body) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), FindConsoleAsset(path)->content_type) << path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << path;
    // No other site may frame the console and trick a click on "delete" or "replay all" (clickjacking).
    EXPECT_EQ(r->get_header_value("Content-Security-Policy"), "default-src 'self'; frame-ancestors 'none'") << path;
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY") << path;
  }
  auto missing = http_->Get("/other.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, kNotFound);
  EXPECT_THAT(Json(missing).value("error", ""), HasSubstr("/other.js"));
}

TEST_F(ConsoleServerTest, ConfigSaysWhatUpSetUp) {
  StartConsole(Options());
  auto r = http_->Get("/api/config");
  ASSERT_TRUE(r);
  EXPECT_EQ(Json(r), nlohmann::json({{"project", "local-project"},
                                      {"location", "us-central1"},
                                      {"topic", kTopic},
                                      {"deadLetterSubscription", kDeadSubscription},
                                      {"ingest", "pull"}}));
}

TEST_F(ConsoleServerTest, ForwardsSchedulerRequestsAndPassesAnswersThroughUnchanged) {
  StartConsole(Options());
  auto list = http_->Get(absl::StrCat("/api/scheduler", kJobs, "?pageSize=5").c_str());
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, kOk);
  EXPECT_EQ(list->body, R"({"jobs":[{"name":"sample"}]})");
  const std::string job = R"({"name":"j","schedule":"* * * * *"})";
  auto created = http_->Post(absl::StrCat("/api/scheduler", kJobs).c_str(), job, "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, kOk);
  EXPECT_EQ(created->body, job);
  auto refused = http_->Post(absl::StrCat("/api/scheduler", kJobs).c_str(), R"({"schedule":"bad cron"})",
                             "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, kBadRequest);
  EXPECT_EQ(refused->body, kGoogleError) << "Google's error shape reaches the page intact";
  auto run = http_->Post(absl::StrCat("/api/scheduler", kJobs, "/j:run").c_str(), "", "application/json");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, kOk);
  auto patched = http_->Patch(absl::StrCat("/api/scheduler", kJobs, "/j?updateMask=schedule").c_str(), "{}",
                              "application/json");
  ASSERT_TRUE(patched);
  EXPECT_EQ(patched->body, R"({"patched":true})");
  auto deleted = http_->Delete(absl::StrCat("/api/scheduler", kJobs, "/j").c_str());
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, kOk);
  auto runs = http_->Get("/api/scheduler/emulator/v1/projects/p/locations/l/jobs/j/runs?pageSize=3");
  ASSERT_TRUE(runs);
  EXPECT_EQ(runs->status, kOk);

  const std::vector<Seen> seen = scheduler_.seen();
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, absl::StrCat(kJobs, "?pageSize=5"));
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].body, job);
  EXPECT_EQ(seen[1].content_type, "application/json");
  EXPECT_EQ(seen[3].target, absl::StrCat(kJobs, "/j:run"));
  EXPECT_EQ(seen[4].method, "PATCH");
  EXPECT_EQ(seen[4].target, absl::StrCat(kJobs, "/j?updateMask=schedule"));
  EXPECT_EQ(seen[5].method, "DELETE");
  EXPECT_EQ(seen[6].target, "/emulator/v1/projects/p/locations/l/jobs/j/runs?pageSize=3");
}

TEST_F(ConsoleServerTest, OnlyAllowListedSchedulerPathsAreForwardedAndNoTraversal) {
  StartConsole(Options());
  for (const char* path : {"/api/scheduler/metrics", "/api/scheduler/v2/x", "/api/scheduler/"}) {
    auto r = http_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, kNotFound) << path;
  }
  for (const char* path : {"/api/scheduler/v1/%2e%2e/metrics", "/api/scheduler/v1/..%2Fmetrics",
                           "/api/scheduler/emulator/v1/../../metrics", "/api/scheduler/v1/projects/%252e%252e"}) {
    auto r = http_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_TRUE(r->status == kBadRequest || r->status == kNotFound) << path << ": " << r->status;
    EXPECT_THAT(Json(r).value("error", ""), Not(IsEmpty())) << path;
  }
  EXPECT_THAT(scheduler_.seen(), IsEmpty()) << "nothing reached the scheduler";
}

TEST_F(ConsoleServerTest, ForwardsTheServiceAndDemoBackendRoutes) {
  StartConsole(Options());
  auto deliveries = http_->Get("/api/service/deliveries?limit=5&outcome=dead_lettered");
  ASSERT_TRUE(deliveries);
  EXPECT_EQ(deliveries->body, R"({"capacity":256,"deliveries":[]})");
  auto metrics = http_->Get("/api/service/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body, "schedsvc_in_flight_messages 0\n");
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto config = http_->Get("/api/demo-backend/config");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->body, R"({"fail_rate":0})");
  auto set = http_->Post("/api/demo-backend/config", R"({"fail_rate":1})", "application/json");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->body, R"({"fail_rate":1})");

  const std::vector<Seen> admin = admin_.seen();
  ASSERT_EQ(admin.size(), 2u);
  EXPECT_EQ(admin[0].target, "/debug/deliveries?limit=5&outcome=dead_lettered");
  EXPECT_EQ(admin[1].target, "/metrics");
  const std::vector<Seen> backend = backend_.seen();
  ASSERT_EQ(backend.size(), 2u);
  EXPECT_EQ(backend[1].method, "POST");
  EXPECT_EQ(backend[1].target, "/_config");
  EXPECT_EQ(backend[1].body, R"({"fail_rate":1})");
}

// An upstream's own 404 passes through even without a body (here a server with no /debug/deliveries; an
// admin port with admin.recent_deliveries: 0 answers 404 with a JSON error): the page must see that 404, not
// a console error claiming the console has no such path.
TEST_F(ConsoleServerTest, AnUpstreamsOwnErrorPassesThroughEvenWithoutABody) {
  ConsoleOptions o = Options();
  o.admin = {"127.0.0.1", backend_.port()};  // has no /debug/deliveries
  StartConsole(o);
  auto r = http_->Get("/api/service/deliveries?limit=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kNotFound);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->get_header_value("X-Console-Upstream"), "schedule-service admin port");
  EXPECT_EQ(backend_.seen().size(), 1u) << "the request reached the upstream";
}

TEST_F(ConsoleServerTest, HealthShowsEachComponentAndTheServicesReadiness) {
  StartConsole(Options());
  auto r = http_->Get("/api/health");
  ASSERT_TRUE(r);
  const nlohmann::json components = Json(r)["components"];
  ASSERT_EQ(components.size(), 4u) << r->body;
  EXPECT_EQ(components[0]["name"], "pubsub-emulator");
  EXPECT_EQ(components[1]["name"], "cloud-scheduler-emulator");
  EXPECT_EQ(components[2]["name"], "demo-backend");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(components[i]["up"], true) << components[i];
  EXPECT_EQ(components[3]["name"], "schedule-service");
  EXPECT_EQ(components[3]["address"], absl::StrCat("127.0.0.1:", admin_.port()));
  EXPECT_EQ(components[3]["up"], true);
  EXPECT_EQ(components[3]["ready"], false);
  EXPECT_EQ(components[3]["detail"], "no stream connected");

  backend_.Stop();
  auto down = http_->Get("/api/health");
  ASSERT_TRUE(down);
  const nlohmann::json after = Json(down)["components"];
  EXPECT_EQ(after[2]["up"], false);
  EXPECT_THAT(after[2]["detail"].get<std::string>(), Not(IsEmpty()));
}

TEST_F(ConsoleServerTest, AnUpstreamThatDoesNotAnswerIsA502NamingIt) {
  ConsoleOptions o = Options();
  o.scheduler.port = testing::PickFreePort();  // nothing listens there
  o.demo_backend.port = 0;                     // not run by `up`
  StartConsole(o);
  auto r = http_->Get(absl::StrCat("/api/scheduler", kJobs).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, kBadGatewayStatus);
  EXPECT_THAT(Json(r).value("error", ""),
              HasSubstr(absl::StrCat("cloud-scheduler-emulator at 127.0.0.1:", o.scheduler.port, ": ")));
  auto backend = http_->Get("/api/demo-backend/config");
  ASSERT_TRUE(backend);
  EXPECT_EQ(backend->status, kBadGatewayStatus);
  EXPECT_THAT(Json(backend).value("error", ""), HasSubstr("demo-backend is not running"));
}

TEST_F(ConsoleServerTest, ListsAndReplaysDeadLettersThroughTheDlqCodePath) {
  StartConsole(Options());
  auto list = http_->Get("/api/deadletters");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, kOk) << list->body;
  const nlohmann::json listed = Json(list);
  EXPECT_EQ(listed["subscription"], kDeadSubscription);
  ASSERT_EQ(listed["messages"].size(), 2u);
  EXPECT_EQ(listed["messages"][0]["reason"], "HTTP 400 from demo");
  EXPECT_EQ(listed["messages"][1]["reason"], "delivery attempts exhausted");
  const std::string bad_id = listed["messages"][0]["id"];

  auto refused = http_->Post("/api/deadletters/replay", R"({"setAttributes":{"schedsvc.error":"x"}})",
                             "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, kBadRequest);
  EXPECT_THAT(Json(refused).value("error", ""), HasSubstr("schedsvc.error"));
  EXPECT_THAT(Json(refused).value("error", ""), HasSubstr("setAttributes")) << "the API's member, as the page sent it";
  EXPECT_THAT(Json(refused).value("error", ""), Not(HasSubstr("--set-attribute"))) << "no CLI flag on the page";

  const nlohmann::json request = {{"ids", {bad_id}}, {"setAttributes", {{"path", "/ok"}}}};
  auto replay = http_->Post("/api/deadletters/replay", request.dump(), "application/json");
  ASSERT_TRUE(replay);
  ASSERT_EQ(replay->status, kOk) << replay->body;
  EXPECT_EQ(Json(replay), nlohmann::json({{"replayed", 1}, {"skipped", 1}, {"failed", 0}}));
  ASSERT_EQ(publisher_.published().size(), 1u);
  EXPECT_EQ(publisher_.published()[0].attributes.at("path"), "/ok");

  auto after = http_->Get("/api/deadletters");
  ASSERT_TRUE(after);
  EXPECT_EQ(Json(after)["messages"].size(), 1u) << "the replayed one is gone";
}

// Any web page can make the browser GET a path whose escapes are not UTF-8 (<img src=".../%FF">): an error
// answer, not an exception out of the JSON writer that ends `schedctl up` and the whole pipeline with it.
TEST_F(ConsoleServerTest, PathsThatAreNotUtf8AreErrorsNotACrash) {
  StartConsole(Options());
  for (const char* path : {"/%FF", "/api/%FF", "/api/scheduler/%C0/x", "/api/service/%FF"}) {
    auto r = http_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_GE(r->status, 400) << path;
    EXPECT_TRUE(nlohmann::json::accept(r->body)) << path << ": " << r->body;
  }
  auto alive = http_->Get("/api/config");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);
}

TEST_F(ConsoleServerTest, RefusesForeignHostsCrossOriginChangesAndUnboundedBodies) {
  StartConsole(Options());
  auto rebound = http_->Get("/api/config", {{"Host", absl::StrCat("attacker.example:", console_->port())}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, kForbidden);
  auto cross = http_->Post("/api/deadletters/replay", {{"Origin", "https://attacker.example"}}, "{}",
                           "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, kForbidden);
  EXPECT_TRUE(publisher_.published().empty());
  auto same = http_->Post("/api/demo-backend/config", {{"Origin", absl::StrCat("http://127.0.0.1:", console_->port())}},
                          "{}", "application/json");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, kOk);

  auto large = http_->Post(absl::StrCat("/api/scheduler", kJobs).c_str(), std::string(kMaxRequestBytes + 1, 'x'),
                           "application/json");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, kPayloadTooLarge);
  httplib::Request chunked;
  chunked.method = "POST";
  chunked.path = absl::StrCat("/api/scheduler", kJobs);
  chunked.set_header("Transfer-Encoding", "chunked");
  chunked.body = "4\r\n{}{}\r\n0\r\n\r\n";
  auto unbounded = http_->send(chunked);
  ASSERT_TRUE(unbounded);
  EXPECT_EQ(unbounded->status, kLengthRequired);
  EXPECT_EQ(scheduler_.seen().size(), 0u);
}

}  // namespace
}  // namespace schedsvc::console
