#include "src/console/console_server.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "src/common/http_server_limits.h"
#include "src/console/console_assets.h"
#include "src/console/request_guard.h"
#include "src/console/upstream_path.h"
#include "src/common/json_text.h"

namespace schedsvc::console {
namespace {

constexpr char kHost[] = "127.0.0.1";
constexpr char kJson[] = "application/json";
constexpr int kOk = 200;
constexpr int kBadRequest = 400;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr int kConflict = 409;
constexpr char kSchedulerRoute[] = "/api/scheduler/";
// The page talks only to its own origin and no other site may frame it (clickjacking: a hidden console under
// a decoy button); X-Frame-Options says the same to browsers without frame-ancestors.
constexpr char kContentSecurityPolicy[] = "default-src 'self'; frame-ancestors 'none'";
// Names the upstream that answered a forwarded request; such an answer is passed through as it is.
constexpr char kUpstreamHeader[] = "X-Console-Upstream";

// The raw (still percent-encoded) path and query of `req`, as the client sent them.
std::pair<std::string, std::string> RawPathAndQuery(const httplib::Request& req) {
  const std::string& target = req.target.empty() ? req.path : req.target;
  const auto question = target.find('?');
  if (question == std::string::npos) return {target, ""};
  return {target.substr(0, question), target.substr(question + 1)};
}

void SetJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(JsonText(body), kJson);
}

void SetError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(ErrorJson(message), kJson);
}

// The console's status for a failed dead-letter operation: the request's fault (400, 409) or Pub/Sub's (502).
int DeadLetterErrorStatus(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return kBadRequest;
    case absl::StatusCode::kFailedPrecondition:
      return kConflict;
    default:
      return kBadGateway;
  }
}

std::vector<ProbeTarget> HealthTargets(const ConsoleOptions& o) {
  return {
      {"pubsub-emulator", o.pubsub, ProbeKind::kTcpConnect, ""},
      {"cloud-scheduler-emulator", o.scheduler, ProbeKind::kHttpGet,
       absl::StrCat("/v1/projects/", o.config.project, "/locations/", o.config.location, "/jobs?pageSize=1")},
      {"demo-backend", o.demo_backend, ProbeKind::kHttpGet, "/_stats"},
      {"schedule-service", o.admin, ProbeKind::kService, ""},
  };
}

}  // namespace

ConsoleServer::ConsoleServer(ConsoleOptions options, DeadLetterView* dead_letters)
    : options_(std::move(options)),
      dead_letters_(dead_letters),
      scheduler_("cloud-scheduler-emulator", options_.scheduler, options_.upstream_timeout),
      admin_("schedule-service admin port", options_.admin, options_.upstream_timeout),
      demo_backend_("demo-backend", options_.demo_backend, options_.upstream_timeout),
      health_(HealthTargets(options_), options_.health_timeout) {}

ConsoleServer::~ConsoleServer() { Stop(); }

absl::Status ConsoleServer::Start() {
  server_ = std::make_unique<httplib::Server>();
  HttpServerLimits limits;
  limits.max_request_bytes = options_.max_request_bytes;
  ApplyHttpServerLimits(limits, *server_);
  Route();
  port_ = BindHttpServer(*server_, kHost, options_.port);
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("console: cannot listen on ", kHost, ":", options_.port, " (address in use?)"));
  }
  thread_ = ServeInBackground(*server_);
  return absl::OkStatus();
}

void ConsoleServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void ConsoleServer::Route() {
  httplib::Server& s = *server_;
  s.set_default_headers({{"Cache-Control", "no-store"},
                         {"X-Content-Type-Options", "nosniff"},
                         {"Content-Security-Policy", kContentSecurityPolicy},
                         {"X-Frame-Options", "DENY"}});
  // Before any body is read: bodies without a length, and requests not meant for this console.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (RefuseBodyWithoutLength(req, res)) return httplib::Server::HandlerResponse::Handled;
    const absl::Status allowed = CheckConsoleRequest(req.method, req.get_header_value("Host"),
                                                     req.get_header_value("Origin"), port_);
    if (allowed.ok()) return httplib::Server::HandlerResponse::Unhandled;
    SetError(res, kForbidden, std::string(allowed.message()));
    return httplib::Server::HandlerResponse::Handled;
  });
  // Errors of the console itself (no route, 411, 413) get a JSON body; an upstream's answer keeps its own
  // (also an empty one).
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.has_header(kUpstreamHeader)) return httplib::Server::HandlerResponse::Unhandled;
    SetError(res, res.status,
             res.status == kNotFound ? absl::StrCat("no such console path: ", req.path)
                                     : absl::StrCat("HTTP ", res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));

  s.Get("/", [this](const httplib::Request&, httplib::Response& res) { ServeAsset("/", res); });
  for (const std::string& path : ConsoleAssetPaths()) {
    s.Get(path, [this, path](const httplib::Request&, httplib::Response& res) { ServeAsset(path, res); });
  }

  s.Get("/api/config", [this](const httplib::Request&, httplib::Response& res) {
    const ConsoleConfig& c = options_.config;
    SetJson(res, kOk,
            {{"project", c.project},
             {"location", c.location},
             {"topic", c.topic},
             {"deadLetterSubscription", c.dead_letter_subscription},
             {"ingest", c.ingest}});
  });

  const std::string scheduler_pattern = absl::StrCat(kSchedulerRoute, ".*");
  auto scheduler = [this](const httplib::Request& req, httplib::Response& res) { ForwardScheduler(req, res); };
  s.Get(scheduler_pattern, scheduler);
  s.Post(scheduler_pattern, scheduler);
  s.Patch(scheduler_pattern, scheduler);
  s.Delete(scheduler_pattern, scheduler);

  s.Get("/api/service/deliveries", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string query = RawPathAndQuery(req).second;
    Forward(admin_, query.empty() ? "/debug/deliveries" : absl::StrCat("/debug/deliveries?", query), req, res);
  });
  s.Get("/api/service/metrics",
        [this](const httplib::Request& req, httplib::Response& res) { Forward(admin_, "/metrics", req, res); });
  s.Get("/api/demo-backend/config",
        [this](const httplib::Request& req, httplib::Response& res) { Forward(demo_backend_, "/_config", req, res); });
  s.Post("/api/demo-backend/config",
         [this](const httplib::Request& req, httplib::Response& res) { Forward(demo_backend_, "/_config", req, res); });

  s.Get("/api/health", [this](const httplib::Request&, httplib::Response& res) {
    SetJson(res, kOk, HealthJson(health_.Probe()));
  });

  s.Get("/api/deadletters", [this](const httplib::Request&, httplib::Response& res) {
    if (dead_letters_ == nullptr) return SetError(res, kNotFound, "no dead-letter subscription with this console");
    auto list = dead_letters_->List();
    if (!list.ok()) return SetError(res, DeadLetterErrorStatus(list.status()), std::string(list.status().message()));
    SetJson(res, kOk, *list);
  });
  s.Post("/api/deadletters/replay", [this](const httplib::Request& req, httplib::Response& res) {
    if (dead_letters_ == nullptr) return SetError(res, kNotFound, "no dead-letter subscription with this console");
    auto request = ParseReplayRequest(req.body);
    if (!request.ok()) return SetError(res, kBadRequest, std::string(request.status().message()));
    auto counts = dead_letters_->Replay(*request);
    if (!counts.ok()) {
      return SetError(res, DeadLetterErrorStatus(counts.status()), std::string(counts.status().message()));
    }
    SetJson(res, kOk, ReplayCountsJson(*counts));
  });
}

void ConsoleServer::ServeAsset(const std::string& path, httplib::Response& res) const {
  const auto asset = FindConsoleAsset(path);
  if (!asset) return SetError(res, kNotFound, absl::StrCat("no such console file: ", path));
  res.set_content(std::string(asset->body), std::string(asset->content_type));
}

void ConsoleServer::Forward(const UpstreamProxy& upstream, const std::string& target, const httplib::Request& req,
                            httplib::Response& res) const {
  ProxyRequest request{req.method, target, req.body, req.get_header_value("Content-Type")};
  ProxyResponse answer = upstream.Forward(request);
  res.status = answer.status;
  res.set_header(kUpstreamHeader, upstream.name());
  res.set_content(std::move(answer.body), answer.content_type.empty() ? std::string(kJson) : answer.content_type);
}

void ConsoleServer::ForwardScheduler(const httplib::Request& req, httplib::Response& res) const {
  auto [path, query] = RawPathAndQuery(req);
  // The route matched the decoded path; the raw one must say the same (no encoded route prefix).
  if (path.rfind(kSchedulerRoute, 0) != 0) {
    return SetError(res, kBadRequest, absl::StrCat("/api/scheduler/: the route prefix must not be percent-encoded"));
  }
  const std::string rest = path.substr(sizeof(kSchedulerRoute) - 1);
  auto target = UpstreamTarget(rest, query, SchedulerPathPrefixes());
  if (!target.ok()) {
    return SetError(res, target.status().code() == absl::StatusCode::kNotFound ? kNotFound : kBadRequest,
                    absl::StrCat("/api/scheduler/: ", target.status().message()));
  }
  Forward(scheduler_, *target, req, res);
}

}  // namespace schedsvc::console
