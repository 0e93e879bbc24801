// The alert rules and the dashboard against a running schedule-service: starts the binary from the build
// tree with a minimal config against the official Pub/Sub emulator (resources created by
// deploy/gcp/pubsub.sh) and a loopback backend, pushes a success, a retried failure and a permanent
// failure through it (waiting until their counters move), scrapes /metrics and fails for every metric a rule
// or panel names that the service does not export (names docs/metrics.md lists as external excepted;
// histogram _bucket/_sum/_count count as their family). Fails while schedule-service is not built.
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "integration_tests/deploy_command.h"
#include "integration_tests/deploy_metric_names.h"
#include "src/metrics/prometheus_text.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::deploy_testing {
namespace {

namespace fs = std::filesystem;

const std::string kSourceDir = SCHEDSVC_SOURCE_DIR;
constexpr char kProject[] = "deploy-metrics";

// A backend on 127.0.0.1: /ok answers 200, /fail 503.
class LoopbackBackend {
 public:
  LoopbackBackend() {
    server_.Post("/ok", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    server_.Post("/fail", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LoopbackBackend() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::string Get(int port, const std::string& path, int* status) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get(path);
  *status = res ? res->status : 0;
  return res ? res->body : "";
}

// Waits (bounded) until `pred` holds; returns whether it did.
template <typename Pred>
bool WaitFor(absl::Duration timeout, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return pred();
}

TEST(DeployMetricsScrapeTest, RulesAndPanelsNameOnlyMetricsTheServiceExports) {
  const std::string binary = testing::FindBuiltBinary("schedule-service");
  ASSERT_FALSE(binary.empty()) << "schedule-service is not built under " << testing::BuildDir();

  // Names the monitoring files use, minus the external ones.
  auto contract = ParseMetricsContract(testing::ReadFileOrEmpty(kSourceDir + "/docs/metrics.md"));
  ASSERT_TRUE(contract.ok()) << contract.status();
  auto rules = RuleFileExpressions(testing::ReadFileOrEmpty(kSourceDir + "/deploy/monitoring/alerts.yaml"));
  ASSERT_TRUE(rules.ok()) << rules.status();
  auto panels =
      DashboardExpressions(testing::ReadFileOrEmpty(kSourceDir + "/deploy/monitoring/dashboard.json"));
  ASSERT_TRUE(panels.ok()) << panels.status();
  std::map<std::string, std::string> used;  // name -> where
  for (const auto& [exprs, where] : {std::pair{&*rules, "alerts.yaml"}, std::pair{&*panels, "dashboard.json"}}) {
    for (const std::string& expr : *exprs) {
      for (const std::string& name : MetricNamesInPromQl(expr)) {
        if (contract->external.count(name) == 0) used.emplace(name, where);
      }
    }
  }
  ASSERT_GT(used.size(), 10u);

  // Pub/Sub resources, with the production script.
  auto emulator = testing::PubsubEmulator::Start();
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const std::string work = ::testing::TempDir() + "/deploy-metrics-" + std::to_string(::getpid());
  fs::create_directories(work + "/gcloud");
  std::ofstream(work + "/token") << "emulator-token\n";
  const std::map<std::string, std::string> gcloud_env = {
      {"CLOUDSDK_CONFIG", work + "/gcloud"},
      {"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", work + "/token"},
      {"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "1"},
      {"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "1"},
      {"CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB", "http://" + (*emulator)->host_port() + "/"},
      {"PROJECT", kProject},
  };
  CommandResult setup = RunCommand("bash " + ShellQuote(kSourceDir + "/deploy/gcp/pubsub.sh"), gcloud_env);
  ASSERT_EQ(setup.exit_code, 0) << setup.output;

  LoopbackBackend backend;
  ASSERT_GT(backend.port(), 0);
  const int admin_port = testing::PickFreePort();
  const std::string config = work + "/config.yaml";
  std::ofstream(config) << absl::StrCat(
      "project: ", kProject, "\n",
      "subscription: schedule-jobs-service\n"
      "streams: 1\n"
      "dead_letter_topic: schedule-jobs-dead-letter\n"
      "admin:\n  listen: 127.0.0.1:", admin_port, "\n",
      "shutdown_grace: 2s\n"
      "routing:\n  default_backend: ok\n"
      "backends:\n  ok:\n    url: http://127.0.0.1:", backend.port(), "\n",
      "    timeout: 5s\n"
      "    retry:\n      max_attempts: 2\n      initial_backoff: 50ms\n      max_backoff: 100ms\n");
  auto service = testing::ChildProcess::Start({binary, "--config", config},
                                              {{"PUBSUB_EMULATOR_HOST", (*emulator)->host_port()}},
                                              work + "/service.log");
  ASSERT_TRUE(service.ok()) << service.status();
  ASSERT_TRUE(testing::WaitForPort(admin_port, absl::Seconds(30)))
      << "admin port never opened; log:\n" << testing::ReadFileOrEmpty(work + "/service.log");
  int status = 0;
  EXPECT_TRUE(WaitFor(absl::Seconds(30), [&] {
    Get(admin_port, "/readyz", &status);
    return status == 200;
  })) << "never ready; log:\n" << testing::ReadFileOrEmpty(work + "/service.log");

  // One success, one retried failure, one permanent failure (unknown backend -> dead letter).
  for (const std::string attributes : {"backend=ok,path=/ok", "backend=ok,path=/fail", "backend=nosuch,path=/ok"}) {
    CommandResult publish = RunCommand(
        absl::StrCat("gcloud --project=", kProject, " pubsub topics publish schedule-jobs --message='{}' "
                     "--attribute=", attributes),
        gcloud_env);
    ASSERT_EQ(publish.exit_code, 0) << publish.output;
  }
  std::string body;
  const bool processed = WaitFor(absl::Seconds(60), [&] {
    // The series exist at 0 from start-up: wait for the counts to move.
    body = Get(admin_port, "/metrics", &status);
    return status == 200 && metrics::SumMetric(body, "schedsvc_messages_acked_total") > 0 &&
           metrics::SumMetric(body, "schedsvc_messages_dead_lettered_total") > 0 &&
           metrics::SumMetric(body, "schedsvc_retries_total") > 0;
  });
  body = Get(admin_port, "/metrics", &status);
  ASSERT_EQ(status, 200) << "/metrics did not answer (service running: " << service->running()
                         << "); log:\n" << testing::ReadFileOrEmpty(work + "/service.log");
  if (!processed) {
    ADD_FAILURE() << "the three test messages were not all processed within 60 s; log:\n"
                  << testing::ReadFileOrEmpty(work + "/service.log");
  }

  const Exposition exposition = ParseExposition(body);
  std::vector<std::string> missing;
  for (const auto& [name, where] : used) {
    if (!IsExported(name, exposition)) missing.push_back(absl::StrCat(name, " (", where, ")"));
  }
  EXPECT_THAT(missing, ::testing::IsEmpty())
      << "metrics named by deploy/monitoring but not exported by schedule-service:\n  "
      << absl::StrJoin(missing, "\n  ") << "\n/metrics was:\n" << body;

  service->Stop();
  std::error_code ec;
  fs::remove_all(work, ec);
}

}  // namespace
}  // namespace schedsvc::deploy_testing
