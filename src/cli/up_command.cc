#include "src/cli/up_command.h"

#include <httplib.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "src/cli/local_process.h"
#include "src/cli/pubsub_apply_command.h"
#include "src/cli/service_status.h"
#include "src/common/clock.h"
#include "src/config/config_loader.h"
#include "src/console/console_server.h"
#include "src/console/dead_letter_view.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"

namespace schedsvc::cli {
namespace {

constexpr char kProject[] = "local-project";
constexpr char kLocation[] = "us-central1";
constexpr char kTopicId[] = "scheduled-jobs";
constexpr char kJobId[] = "sample-every-minute";
constexpr absl::Duration kStartTimeout = absl::Seconds(90);
constexpr char kPushPath[] = "/pubsub/push";
// The subscription's ack deadline; with --ingest push also push.ack_deadline (they must agree).
constexpr int kAckDeadlineSeconds = 60;

bool IsPush(const UpOptions& o) { return o.ingest == "push"; }

std::string PushEndpoint(const UpOptions& o) { return absl::StrCat("http://127.0.0.1:", o.push_port, kPushPath); }

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }

std::string ConfigYaml(const UpOptions& o) {
  // config/example.yaml with the ports of this run and the secrets in the work directory.
  return absl::StrCat(
      "# Written by `schedctl up` from config/example.yaml, adapted to this run's ports.\n"
      "subscription: projects/", kProject, "/subscriptions/schedule-service\n"
      "dead_letter_topic: schedule-service-dead-letter\n"
      "ack_mode: after-success\n",
      IsPush(o) ? absl::StrCat("ingest: push\n"
                               "push:\n  listen: 127.0.0.1:", o.push_port, "\n  path: ", kPushPath,
                               "\n  ack_deadline: ", kAckDeadlineSeconds,
                               "s\n  # The emulator signs no OIDC token; in production use push.auth.oidc.\n"
                               "  auth: none\n")
                : "lease:\n  max_extension: 60m\n",
      "admin:\n  listen: 127.0.0.1:", o.admin_port, "\n"
      "routing:\n  default_backend: demo\n"
      "backends:\n  demo:\n    url: http://127.0.0.1:", o.backend_port, "\n"
      "    auth:\n      basic:\n        username_file: secrets/demo-username\n"
      "        password_file: secrets/demo-password\n"
      "    timeout: 30s\n    retry:\n      initial_backoff: 1s\n      max_backoff: 60s\n");
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

class Pipeline {
 public:
  Pipeline(const UpOptions& options, std::ostream& out, std::ostream& err)
      : o_(options), out_(out), err_(err) {}
  ~Pipeline() { StopAll(); }

  int Run();

 private:
  absl::Status CheckPorts();
  absl::Status StartChild(const std::string& name, std::vector<std::string> argv,
                          const std::map<std::string, std::string>& env, int port);
  absl::Status ApplyPubsub();
  absl::Status CreateSampleJob();
  absl::Status StartConsole();
  void PrintStatus();
  void StopAll();

  const UpOptions o_;
  std::ostream& out_;
  std::ostream& err_;
  std::string workdir_;
  std::vector<std::unique_ptr<LocalProcess>> children_;
  // What ApplyPubsub set up (the console's dead-letter subscription and replay topic).
  PubsubSetup setup_;
  // The console and what its dead-letter view uses; stopped before the children.
  SystemClock clock_;
  std::unique_ptr<pubsub::AdminClient> console_pubsub_;
  std::unique_ptr<console::DeadLetterView> dead_letters_;
  std::unique_ptr<console::ConsoleServer> console_;
};

absl::Status Pipeline::CheckPorts() {
  if (o_.ingest != "pull" && o_.ingest != "push") {
    return absl::InvalidArgumentError(absl::StrCat("--ingest must be pull or push, got \"", o_.ingest, "\""));
  }
  std::vector<std::pair<std::string, int>> ports = {{"--pubsub-port", o_.pubsub_port},
                                                    {"--scheduler-port", o_.scheduler_port},
                                                    {"--backend-port", o_.backend_port},
                                                    {"--admin-port", o_.admin_port}};
  if (IsPush(o_)) ports.emplace_back("--push-port", o_.push_port);
  if (o_.console_port != 0) ports.emplace_back("--console-port", o_.console_port);
  std::set<int> seen;
  for (const auto& [flag, port] : ports) {
    if (port < 1 || port > 65535) return absl::InvalidArgumentError(absl::StrCat(flag, " ", port, " is not a port"));
    if (!seen.insert(port).second) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", port, " is used twice; give each its own port"));
    }
    if (!LoopbackPortFree(port)) {
      return absl::FailedPreconditionError(absl::StrCat("port ", port, " (", flag,
                                                        ") is already taken on 127.0.0.1; stop what uses it or pass ",
                                                        flag, " with a free port"));
    }
  }
  return absl::OkStatus();
}

absl::Status Pipeline::StartChild(const std::string& name, std::vector<std::string> argv,
                                  const std::map<std::string, std::string>& env, int port) {
  const std::string log = absl::StrCat(workdir_, "/", name, ".log");
  auto child = LocalProcess::Start(name, argv, env, log);
  if (!child.ok()) return child.status();
  out_ << "started " << name << " pid " << (*child)->pid() << " on 127.0.0.1:" << port << " (log " << log
       << ")" << std::endl;
  LocalProcess& p = **child;
  children_.push_back(std::move(*child));
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline) {
    if (g_stop.load()) return absl::CancelledError("interrupted while starting");
    if (!p.Running()) {
      return absl::UnavailableError(absl::StrCat(name, " exited during start-up; see ", log));
    }
    if (WaitForLoopbackPort(port, absl::Milliseconds(200))) return absl::OkStatus();
  }
  return absl::DeadlineExceededError(absl::StrCat(name, " did not listen on 127.0.0.1:", port, " within ",
                                                  absl::FormatDuration(kStartTimeout), "; see ", log));
}

absl::Status Pipeline::ApplyPubsub() {
  auto config = config::LoadServiceConfig(absl::StrCat(workdir_, "/config.yaml"));
  if (!config.ok()) return config.status();
  PubsubApplyOptions apply;
  apply.topic = kTopicId;
  apply.ack_deadline_seconds = kAckDeadlineSeconds;
  if (IsPush(o_)) apply.push_endpoint = PushEndpoint(o_);
  auto setup = ResolvePubsubSetup(*config, apply);
  if (!setup.ok()) return setup.status();
  setup_ = *setup;
  pubsub::ConnectionOptions connection;
  connection.endpoint = absl::StrCat("127.0.0.1:", o_.pubsub_port);
  connection.plaintext = true;
  auto client = pubsub::MakeAdminClient(connection);
  // The emulator accepts connections a little before it serves RPCs.
  absl::Status last;
  for (int i = 0; i < 60 && !g_stop.load(); ++i) {
    std::ostringstream lines;
    auto changed = ApplyPubsubSetup(*setup, *client, lines);
    if (changed.ok()) {
      out_ << lines.str();
      return absl::OkStatus();
    }
    last = changed.status();
    if (last.code() != absl::StatusCode::kUnavailable && last.code() != absl::StatusCode::kDeadlineExceeded) {
      return last;
    }
    absl::SleepFor(absl::Seconds(1));
  }
  return last;
}

absl::Status Pipeline::CreateSampleJob() {
  httplib::Client client("127.0.0.1", o_.scheduler_port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  const std::string parent = absl::StrCat("/v1/projects/", kProject, "/locations/", kLocation, "/jobs");
  const std::string name = absl::StrCat("projects/", kProject, "/locations/", kLocation, "/jobs/", kJobId);
  nlohmann::json job = {
      {"name", name},
      {"schedule", "* * * * *"},
      {"timeZone", "Etc/UTC"},
      {"description", "schedctl up sample: a message every minute to the demo backend"},
      {"pubsubTarget",
       {{"topicName", absl::StrCat("projects/", kProject, "/topics/", kTopicId)},
        {"data", "eyJoZWxsbyI6InNjaGVkdWxlLXNlcnZpY2UifQ=="},  // {"hello":"schedule-service"}
        {"attributes", {{"backend", "demo"}}}}}};
  auto created = client.Post(parent, job.dump(), "application/json");
  if (!created) {
    return absl::UnavailableError(absl::StrCat("POST ", parent, ": ", httplib::to_string(created.error())));
  }
  if (created->status == 409) {
    out_ << "job " << name << ": exists" << std::endl;
  } else if (created->status != 200) {
    return absl::InternalError(absl::StrCat("POST ", parent, ": HTTP ", created->status, ": ", created->body));
  } else {
    out_ << "job " << name << ": created (every minute)" << std::endl;
  }
  const std::string run_path = absl::StrCat("/v1/", name, ":run");
  auto run = client.Post(run_path, "{}", "application/json");
  if (!run || run->status != 200) {
    return absl::InternalError(absl::StrCat("POST ", run_path, ": ",
                                            run ? absl::StrCat("HTTP ", run->status, ": ", run->body)
                                                : httplib::to_string(run.error())));
  }
  out_ << "job " << name << ": run once now" << std::endl;
  return absl::OkStatus();
}

absl::Status Pipeline::StartConsole() {
  if (o_.console_port == 0) return absl::OkStatus();
  pubsub::ConnectionOptions connection;
  connection.endpoint = absl::StrCat("127.0.0.1:", o_.pubsub_port);
  connection.plaintext = true;
  console_pubsub_ = pubsub::MakeAdminClient(connection);
  const std::string topic =
      setup_.topic.empty() ? absl::StrCat("projects/", kProject, "/topics/", kTopicId) : setup_.topic;
  if (!setup_.inspect_subscription.empty()) {
    console::DeadLetterViewOptions view;
    view.subscription = setup_.inspect_subscription;
    view.replay_topic = topic;
    dead_letters_ = std::make_unique<console::DeadLetterView>(
        view, *console_pubsub_,
        [connection](const std::string& replay_topic) {
          pubsub::PublisherOptions publisher;
          publisher.topic = replay_topic;
          return pubsub::MakePublisher(publisher, connection);
        },
        clock_);
  }
  console::ConsoleOptions options;
  options.port = o_.console_port;
  options.config.project = kProject;
  options.config.location = kLocation;
  options.config.topic = topic;
  options.config.dead_letter_subscription = setup_.inspect_subscription;
  options.config.ingest = o_.ingest;
  options.pubsub.port = o_.pubsub_port;
  options.scheduler.port = o_.scheduler_port;
  options.admin.port = o_.admin_port;
  options.demo_backend.port = o_.backend_port;
  console_ = std::make_unique<console::ConsoleServer>(options, dead_letters_.get());
  return console_->Start();
}

void Pipeline::PrintStatus() {
  std::string jobs_text = "jobs ?";
  {
    httplib::Client client("127.0.0.1", o_.scheduler_port);
    client.set_connection_timeout(2);
    client.set_read_timeout(2);
    auto r = client.Get(absl::StrCat("/v1/projects/", kProject, "/locations/", kLocation, "/jobs"));
    if (r && r->status == 200) {
      auto body = nlohmann::json::parse(r->body, nullptr, false);
      if (!body.is_discarded()) {
        const auto jobs = body.value("jobs", nlohmann::json::array());
        jobs_text = absl::StrCat("jobs ", jobs.size());
        for (const auto& j : jobs) {
          const std::string full = j.value("name", "");
          const std::string last = j.value("lastAttemptTime", "never");
          const int code = j.contains("status") ? j["status"].value("code", 0) : 0;
          absl::StrAppend(&jobs_text, " [", full.substr(full.rfind('/') + 1), " ", j.value("state", "?"),
                          " last run ", last, code == 0 ? "" : absl::StrCat(" code ", code), "]");
        }
      }
    }
  }
  std::string service_text = "service ?";
  {
    httplib::Client client("127.0.0.1", o_.admin_port);
    client.set_connection_timeout(2);
    client.set_read_timeout(2);
    auto r = client.Get("/metrics");
    if (r && r->status == 200) {
      auto figures = ParseServiceFigures(r->body);
      service_text = figures.ok() ? FormatServiceFigures(*figures)
                                  : absl::StrCat("service ?: ", figures.status().message());
    }
  }
  std::string backend_text = "backend ?";
  {
    httplib::Client client("127.0.0.1", o_.backend_port);
    client.set_connection_timeout(2);
    client.set_read_timeout(2);
    auto r = client.Get("/_stats");
    if (r && r->status == 200) {
      auto stats = nlohmann::json::parse(r->body, nullptr, false);
      if (!stats.is_discarded() && stats.is_object()) {
        backend_text = absl::StrCat("backend calls ", stats.value("calls", 0), ", messages ok ",
                                    stats.value("messages_succeeded", 0));
      }
    }
  }
  out_ << absl::FormatTime("%H:%M:%S", absl::Now(), absl::LocalTimeZone()) << "  " << jobs_text << " | "
       << service_text << " | " << backend_text << std::endl;
}

void Pipeline::StopAll() {
  // Reverse start order: the service drains before its backend and Pub/Sub go away.
  while (!children_.empty()) {
    out_ << children_.back()->Stop() << std::endl;
    children_.pop_back();
  }
  // The console last: its stop waits for the connections it is serving (a browser's idle pre-opened
  // socket until its read timeout; a client that trickles a request for as long as it trickles), and that
  // wait must never keep the pipeline running after Ctrl-C. Its requests to the stopped children fail fast.
  if (console_) console_->Stop();
}

int Pipeline::Run() {
  if (absl::Status s = CheckPorts(); !s.ok()) {
    err_ << "schedctl up: " << s.message() << "\n";
    return kExitUsage;
  }
  auto emulator = FindPubsubEmulator();
  auto scheduler = FindPipelineBinary("cloud-scheduler-emulator", "src/scheduler/cloud-scheduler-emulator");
  auto backend = FindPipelineBinary("demo-backend", "src/demo_backend/demo-backend");
  auto service = FindPipelineBinary("schedule-service", "src/service/schedule-service");
  for (const absl::Status& s : {emulator.status(), scheduler.status(), backend.status(), service.status()}) {
    if (!s.ok()) {
      err_ << "schedctl up: " << s.message() << "\n";
      return kExitFailure;
    }
  }
  workdir_ = o_.workdir;
  if (workdir_.empty()) {
    std::string tmpl = "/tmp/schedctl-up-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      err_ << "schedctl up: cannot create a work directory in /tmp: " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    workdir_ = tmpl;
  }
  std::error_code ec;
  std::filesystem::create_directories(absl::StrCat(workdir_, "/secrets"), ec);
  if (ec) {
    err_ << "schedctl up: cannot create " << workdir_ << "/secrets: " << ec.message() << "\n";
    return kExitFailure;
  }
  for (const absl::Status& s :
       {WriteFile(absl::StrCat(workdir_, "/secrets/demo-username"), "demo\n"),
        WriteFile(absl::StrCat(workdir_, "/secrets/demo-password"), "local-demo-password\n"),
        WriteFile(absl::StrCat(workdir_, "/config.yaml"), ConfigYaml(o_))}) {
    if (!s.ok()) {
      err_ << "schedctl up: " << s.message() << "\n";
      return kExitFailure;
    }
  }
  out_ << "work directory " << workdir_ << std::endl;

  const std::string pubsub_host = absl::StrCat("127.0.0.1:", o_.pubsub_port);
  const std::map<std::string, std::string> pubsub_env = {{"PUBSUB_EMULATOR_HOST", pubsub_host}};
  absl::Status started = StartChild("pubsub-emulator",
                                    {*emulator, "--host=127.0.0.1", absl::StrCat("--port=", o_.pubsub_port)},
                                    {}, o_.pubsub_port);
  if (started.ok()) started = ApplyPubsub();
  if (started.ok()) {
    started = StartChild("demo-backend",
                         {*backend, "--listen", absl::StrCat("127.0.0.1:", o_.backend_port), "--username-file",
                          absl::StrCat(workdir_, "/secrets/demo-username"), "--password-file",
                          absl::StrCat(workdir_, "/secrets/demo-password")},
                         {}, o_.backend_port);
  }
  if (started.ok()) {
    started = StartChild("schedule-service", {*service, "--config", absl::StrCat(workdir_, "/config.yaml")},
                         pubsub_env, o_.admin_port);
  }
  if (started.ok()) {
    started = StartChild("cloud-scheduler-emulator",
                         {*scheduler, "--listen", absl::StrCat("127.0.0.1:", o_.scheduler_port), "--db",
                          absl::StrCat(workdir_, "/scheduler.db")},
                         pubsub_env, o_.scheduler_port);
  }
  if (started.ok()) started = CreateSampleJob();
  if (started.ok()) started = StartConsole();
  if (!started.ok()) {
    err_ << "schedctl up: " << started.message() << "\n";
    StopAll();
    return started.code() == absl::StatusCode::kCancelled ? kExitOk : kExitFailure;
  }

  out_ << "\nThe local pipeline is up (Ctrl-C stops it). Point gcloud at it with:\n"
       << "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER=http://127.0.0.1:" << o_.scheduler_port << "/\n"
       << "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB=http://" << pubsub_host << "/\n"
       << "  export PUBSUB_EMULATOR_HOST=" << pubsub_host << "   # for schedctl and client libraries\n"
       << "Service metrics: http://127.0.0.1:" << o_.admin_port << "/metrics   backend calls: http://127.0.0.1:"
       << o_.backend_port << "/_stats\n"
       << (IsPush(o_) ? absl::StrCat("Messages are pushed by the emulator to ", PushEndpoint(o_), "\n") : "")
       << (console_ ? absl::StrCat("console: http://127.0.0.1:", console_->port(), "/\n") : "")
       << "\n";

  const absl::Time end = o_.duration_seconds > 0 ? absl::Now() + absl::Seconds(o_.duration_seconds)
                                                 : absl::InfiniteFuture();
  absl::Time next_status = absl::Now();
  while (!g_stop.load() && absl::Now() < end) {
    if (absl::Now() >= next_status) {
      PrintStatus();
      next_status = absl::Now() + absl::Seconds(std::max(1, o_.status_interval_seconds));
    }
    for (auto& child : children_) {
      if (!child->Running()) {
        err_ << "schedctl up: " << child->name() << " (pid " << child->pid() << ") exited; see "
             << child->log_path() << "\n";
        StopAll();
        return kExitFailure;
      }
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  PrintStatus();
  out_ << "stopping" << std::endl;
  StopAll();
  return kExitOk;
}

}  // namespace

int RunUp(const UpOptions& options, std::ostream& out, std::ostream& err) {
  if (options.duration_seconds < 0) {
    err << "schedctl up: --duration must be a positive number of seconds, got " << options.duration_seconds << "\n";
    return kExitUsage;
  }
  g_stop.store(false);
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  Pipeline pipeline(options, out, err);
  return pipeline.Run();
}

void RegisterUpCommand(CLI::App& app, CommandAction& action) {
  auto options = std::make_shared<UpOptions>();
  CLI::App* sub = app.add_subcommand("up", "Run the whole local pipeline until Ctrl-C");
  sub->add_option("--pubsub-port", options->pubsub_port, "Pub/Sub emulator port")->capture_default_str();
  sub->add_option("--scheduler-port", options->scheduler_port, "cloud-scheduler-emulator port")
      ->capture_default_str();
  sub->add_option("--backend-port", options->backend_port, "demo-backend port")->capture_default_str();
  sub->add_option("--admin-port", options->admin_port, "schedule-service admin port (/metrics)")
      ->capture_default_str();
  sub->add_option("--ingest", options->ingest,
                  "how schedule-service takes messages: pull (StreamingPull) or push (the emulator pushes to it)")
      ->check(CLI::IsMember({"pull", "push"}))
      ->capture_default_str();
  sub->add_option("--push-port", options->push_port, "schedule-service push endpoint port (--ingest push)")
      ->capture_default_str();
  sub->add_option("--console-port", options->console_port, "console port on 127.0.0.1 (0 = no console)")
      ->capture_default_str();
  sub->add_option("--workdir", options->workdir, "directory for config, secrets, db and logs (default: new in /tmp)");
  // Not given: until Ctrl-C. Given: a positive number of seconds (0 or less would stop at once or never).
  sub->add_option("--duration", options->duration_seconds, "stop by itself after this many seconds (> 0)")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            int seconds = 0;
            if (absl::SimpleAtoi(value, &seconds) && seconds > 0) return "";
            return absl::StrCat("must be a positive number of seconds, got \"", value, "\"");
          },
          "SECONDS > 0"));
  sub->add_option("--status-interval", options->status_interval_seconds, "seconds between status lines")
      ->capture_default_str();
  sub->callback([options, &action] {
    action = [options] { return RunUp(*options, std::cout, std::cerr); };
  });
}

}  // namespace schedsvc::cli
