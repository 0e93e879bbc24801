// cloud-scheduler-emulator: a local Cloud Scheduler v1 (REST API that gcloud drives, and optionally the
// gRPC API the official client libraries use; Pub/Sub and HTTP targets; SQLite persistence). See
// docs/scheduler-emulator.md.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <cstddef>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"
#include "nlohmann/json.hpp"
#include "src/common/clock.h"
#include "src/common/http_server_limits.h"
#include "src/common/json_log.h"
#include "src/common/mutex_mode.h"
#include "src/common/thread_executor.h"
#include "src/pubsub/grpc_log_route.h"
#include "src/scheduler/grpc/cloud_scheduler_grpc_service.h"
#include "src/scheduler/grpc/locations_grpc_service.h"
#include "src/scheduler/listen_address.h"
#include "src/scheduler/loop/scheduler_loop.h"
#include "src/scheduler/rest/bearer_auth.h"
#include "src/scheduler/rest/emulator_extensions_handler.h"
#include "src/scheduler/rest/google_error.h"
#include "src/scheduler/rest/jobs_handler.h"
#include "src/scheduler/runner/default_job_runner.h"
#include "src/scheduler/scheduler_metrics.h"
#include "src/scheduler/scheduler_service.h"
#include "src/scheduler/store/sqlite_job_store.h"
#include "src/common/json_text.h"

namespace schedsvc::scheduler {
namespace {

// Concurrent HTTP target calls (each blocks one thread for up to its attemptDeadline).
constexpr int kHttpThreads = 16;
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
// How long in-flight gRPC calls may take to finish at shutdown before they are cancelled. gRPC also waits
// this long for connected clients (the official libraries keep channels open) to drop their connections,
// so it is short: our calls take milliseconds, and a cancelled call's handler still runs to completion.
constexpr absl::Duration kGrpcShutdownGrace = absl::Seconds(1);
// The largest request either API accepts: room for a job at Cloud Scheduler's 1 MiB limit with its body
// base64-encoded in JSON. A larger REST body gets 413, a larger gRPC message RESOURCE_EXHAUSTED.
constexpr std::size_t kMaxRequestBytes = 2 * 1024 * 1024;
constexpr char kHealthzPath[] = "/healthz";

struct Flags {
  std::string listen = "127.0.0.1:8086";
  // Empty: no gRPC API.
  std::string grpc_listen;
  std::string db = "cloud-scheduler-emulator.db";
  std::string auth_token_file;
  std::string missed_runs = "fire-latest";
  std::string locations = "us-central1,us-east1,europe-west1,asia-northeast1";
};

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseListen(const std::string& flag, const std::string& text) {
  const auto colon = text.rfind(':');
  HostPort hp;
  if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(colon + 1), &hp.port) || hp.port < 0 ||
      hp.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " must be HOST:PORT, got \"", text, "\""));
  }
  hp.host = text.substr(0, colon);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  return hp;
}

// Returns "host:port" for gRPC, bracketing an IPv6 host.
std::string GrpcAddress(const HostPort& hp) {
  if (hp.host.find(':') != std::string::npos) return absl::StrCat("[", hp.host, "]:", hp.port);
  return absl::StrCat(hp.host, ":", hp.port);
}

void SendJson(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatusForCode(status.code());
  res.set_content(JsonText(GoogleErrorJson(status)), "application/json; charset=UTF-8");
}

// Google's error shape with an HTTP status that has no google.rpc.Code of its own (411, 413).
void SendJsonWithHttpStatus(httplib::Response& res, int http_status, const absl::Status& status) {
  nlohmann::json body = GoogleErrorJson(status);
  body["error"]["code"] = http_status;
  res.status = http_status;
  res.set_content(JsonText(body), "application/json; charset=UTF-8");
}

int Run(int argc, char** argv) {
  Flags flags;
  CLI::App app("cloud-scheduler-emulator: a local Cloud Scheduler v1 that gcloud drives");
  app.add_option("--listen", flags.listen, "REST API address HOST:PORT (default 127.0.0.1:8086)");
  app.add_option("--db", flags.db, "SQLite database file for jobs and run history");
  app.add_option("--grpc-listen", flags.grpc_listen,
                 "gRPC API address HOST:PORT (google.cloud.scheduler.v1.CloudScheduler); default off");
  app.add_option("--auth-token-file", flags.auth_token_file,
                 "file holding the bearer token clients must send; required off loopback");
  app.add_option("--missed-runs", flags.missed_runs,
                 "runs missed while down: fire-latest (the latest fires once at start) or skip")
      ->check(CLI::IsMember({"fire-latest", "skip"}));
  app.add_option("--locations", flags.locations, "comma-separated location ids reported by locations.list");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  SystemClock clock;
  JsonLogger logger(std::cout, clock);
  // gRPC's own lines in the same JSON format.
  pubsub::GrpcLogRoute grpc_log_route(logger);
  absl::StatusOr<HostPort> listen = ParseListen("--listen", flags.listen);
  if (!listen.ok()) {
    logger.Error("bad flag", {{"error", listen.status().ToString()}});
    return 2;
  }
  absl::optional<HostPort> grpc_listen;
  if (!flags.grpc_listen.empty()) {
    absl::StatusOr<HostPort> parsed = ParseListen("--grpc-listen", flags.grpc_listen);
    if (!parsed.ok()) {
      logger.Error("bad flag", {{"error", parsed.status().ToString()}});
      return 2;
    }
    grpc_listen = *std::move(parsed);
  }
  // Each host is resolved once; the check and the bind use the same numeric address, so a name cannot
  // resolve to loopback for the check and elsewhere for the bind.
  absl::StatusOr<std::vector<std::string>> listen_addresses = ResolveListenHost(listen->host);
  if (!listen_addresses.ok()) {
    logger.Error("bad flag", {{"error", absl::StrCat("--listen: ", listen_addresses.status().message())}});
    return 2;
  }
  std::vector<std::string> grpc_addresses;
  if (grpc_listen.has_value()) {
    absl::StatusOr<std::vector<std::string>> resolved = ResolveListenHost(grpc_listen->host);
    if (!resolved.ok()) {
      logger.Error("bad flag", {{"error", absl::StrCat("--grpc-listen: ", resolved.status().message())}});
      return 2;
    }
    grpc_addresses = *std::move(resolved);
  }
  auto resolved_to = [](const std::vector<std::string>& addresses) -> HostResolver {
    return [addresses](const std::string&) -> absl::StatusOr<std::vector<std::string>> { return addresses; };
  };
  std::unique_ptr<BearerAuth> auth;
  if (!flags.auth_token_file.empty()) {
    absl::StatusOr<std::unique_ptr<BearerAuth>> loaded = BearerAuth::FromFile(flags.auth_token_file);
    if (!loaded.ok()) {
      logger.Error("bad flag", {{"error", loaded.status().ToString()}});
      return 2;
    }
    auth = *std::move(loaded);
  } else if (!IsLoopbackHost(listen->host, resolved_to(*listen_addresses))) {
    logger.Error("refusing to listen off loopback without --auth-token-file",
                 {{"listen", flags.listen}, {"resolvesTo", absl::StrJoin(*listen_addresses, ",")}});
    return 2;
  } else if (grpc_listen.has_value() && !IsLoopbackHost(grpc_listen->host, resolved_to(grpc_addresses))) {
    logger.Error("refusing to listen off loopback without --auth-token-file",
                 {{"grpcListen", flags.grpc_listen}, {"resolvesTo", absl::StrJoin(grpc_addresses, ",")}});
    return 2;
  }
  listen->host = BindAddress(*listen_addresses);
  if (grpc_listen.has_value()) grpc_listen->host = BindAddress(grpc_addresses);
  JobsHandlerOptions handler_options;
  handler_options.locations = absl::StrSplit(flags.locations, ',', absl::SkipWhitespace());
  if (handler_options.locations.empty()) {
    logger.Error("bad flag", {{"error", "--locations must name at least one location"}});
    return 2;
  }

  // Signals are handled by one thread with sigwait; block them before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(flags.db);
  if (!store.ok()) {
    logger.Error("cannot open the database", {{"error", store.status().ToString()}});
    return 1;
  }
  ThreadExecutor timer_executor(clock, 1);
  ThreadExecutor http_executor(clock, kHttpThreads);
  SchedulerMetrics metrics;
  auto runner = std::make_unique<DefaultJobRunner>(http_executor);
  SchedulerLoopOptions loop_options;
  loop_options.missed_run_policy =
      flags.missed_runs == "skip" ? MissedRunPolicy::kSkip : MissedRunPolicy::kFireLatest;
  auto loop = std::make_unique<SchedulerLoop>(**store, *runner, clock, timer_executor, metrics, logger,
                                              loop_options);
  if (absl::Status s = loop->Start(); !s.ok()) {
    logger.Error("cannot load jobs", {{"error", s.ToString()}});
    return 1;
  }
  SchedulerService service(**store, *loop, clock, logger);
  JobsHandler handler(service, handler_options);
  EmulatorExtensionsHandler extensions(service, clock);

  httplib::Server server;
  HttpServerLimits limits;
  limits.max_request_bytes = kMaxRequestBytes;
  ApplyHttpServerLimits(limits, server);
  server.set_pre_routing_handler([&auth](const httplib::Request& req, httplib::Response& res) {
    // Before the body is read: a body of unknown size is never read.
    if (RefuseBodyWithoutLength(req, res)) return httplib::Server::HandlerResponse::Handled;
    // The liveness probe needs no token (it says nothing but "ok").
    if (auth == nullptr || req.path == kHealthzPath) return httplib::Server::HandlerResponse::Unhandled;
    absl::Status s = auth->Check(req.get_header_value("Authorization"));
    if (s.ok()) return httplib::Server::HandlerResponse::Unhandled;
    SendJson(res, s);
    return httplib::Server::HandlerResponse::Handled;
  });
  handler.Register(server);
  // /emulator/v1/: run history and next fire times, behind the same bearer-token rule as /v1.
  extensions.Register(server);
  server.Get(kHealthzPath, [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Serialize(), "text/plain; version=0.0.4");
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      SendJson(res, absl::NotFoundError(absl::StrCat("No route for ", req.method, " ", req.path, ".")));
    } else if (res.status == 413) {
      SendJsonWithHttpStatus(res, 413, absl::InvalidArgumentError(absl::StrCat(
          "Request body is larger than ", kMaxRequestBytes, " bytes; a job must be at most 1 MiB.")));
    } else if (res.status == 411) {
      SendJsonWithHttpStatus(res, 411, absl::InvalidArgumentError(
          "A request body needs a Content-Length; Transfer-Encoding is not accepted."));
    }
  });

  const int port = BindHttpServer(server, listen->host, listen->port);
  if (port <= 0) {
    logger.Error("cannot listen", {{"listen", flags.listen}});
    return 1;
  }

  // The gRPC API shares the service (and so validation, masks and persistence) with REST.
  CloudSchedulerGrpcService grpc_service(service, auth.get());
  LocationsGrpcService grpc_locations(handler_options.locations, auth.get());
  std::unique_ptr<grpc::Server> grpc_server;
  std::string grpc_bound = "off";
  if (grpc_listen.has_value()) {
    int grpc_port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(GrpcAddress(*grpc_listen), grpc::InsecureServerCredentials(), &grpc_port);
    builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxRequestBytes));
    builder.RegisterService(&grpc_service);
    builder.RegisterService(&grpc_locations);
    grpc_server = builder.BuildAndStart();
    if (grpc_server == nullptr || grpc_port <= 0) {
      logger.Error("cannot listen", {{"grpcListen", flags.grpc_listen}});
      return 1;
    }
    grpc_bound = GrpcAddress(HostPort{grpc_listen->host, grpc_port});
  }
  logger.Info("cloud-scheduler-emulator listening",
              {{"listen", absl::StrCat(listen->host, ":", port)},
               {"grpcListen", grpc_bound},
               {"db", flags.db},
               {"auth", auth != nullptr},
               {"missedRuns", flags.missed_runs}});

  std::thread signal_thread([&server, &signals, &logger] {
    int sig = 0;
    sigwait(&signals, &sig);
    logger.Info("shutting down", {{"signal", sig}});
    server.stop();
  });
  const bool served = server.listen_after_bind();
  if (!served) {
    // listen_after_bind only returns false on a socket error; wake the signal thread so it can be joined.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  }
  signal_thread.join();
  if (grpc_server != nullptr) {
    grpc_server->Shutdown(absl::ToChronoTime(clock.Now() + kGrpcShutdownGrace));
    grpc_server.reset();
  }
  loop->Shutdown(kShutdownGrace);
  // The runner's late callbacks (a publish or HTTP call that outlived the grace) still find the loop:
  // the runner and its HTTP calls go first, the loop and its executor last.
  http_executor.Shutdown();
  runner.reset();
  timer_executor.Shutdown();
  loop.reset();
  logger.Info("stopped");
  return served ? 0 : 1;
}

}  // namespace
}  // namespace schedsvc::scheduler

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  try {
    return schedsvc::scheduler::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "{\"severity\":\"CRITICAL\",\"message\":\"uncaught exception\"}" << std::endl;
    return 1;
  }
}
