#include "src/service/admin_server.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"
#include "src/common/http_server_limits.h"
#include "src/common/json_text.h"
#include "src/service/deliveries_endpoint.h"
#include "src/service/loopback_host.h"

namespace schedsvc::service {
namespace {

constexpr int kPayloadTooLarge = 413;
// The admin port serves GETs without a body; the smallest limit httplib accepts.
constexpr std::size_t kMaxAdminRequestBytes = 1;
constexpr char kNoBodyMessage[] = "the admin port accepts no request body\n";
constexpr int kBadRequest = 400;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr char kJson[] = "application/json";


// True when `req` carries a body (a Content-Length above 0, or any Transfer-Encoding).
bool HasBody(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  const std::string length = req.get_header_value("Content-Length");
  std::uint64_t n = 0;
  return !length.empty() && (!absl::SimpleAtoi(length, &n) || n > 0);
}

}  // namespace

absl::Status ParseHostPort(const std::string& text, std::string* host, int* port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not host:port"));
  }
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has no valid port (0-65535)"));
  }
  *host = h;
  *port = p;
  return absl::OkStatus();
}

AdminServer::AdminServer(std::shared_ptr<prometheus::Registry> registry, std::function<Readiness()> readiness,
                         std::function<void()> before_scrape)
    : registry_(std::move(registry)), readiness_(std::move(readiness)), before_scrape_(std::move(before_scrape)) {}

AdminServer::AdminServer(std::shared_ptr<prometheus::Registry> registry, std::function<bool()> ready,
                         std::function<void()> before_scrape)
    : AdminServer(
          std::move(registry), [ready = std::move(ready)] { return Readiness{ready(), ""}; },
          std::move(before_scrape)) {}

AdminServer::~AdminServer() { Stop(); }

absl::Status AdminServer::Start(const std::string& listen) {
  std::string host;
  int port = 0;
  if (auto s = ParseHostPort(listen, &host, &port); !s.ok()) return s;
  server_ = std::make_unique<httplib::Server>();
  debug_needs_loopback_host_ = IsLoopbackListenHost(host);
  // Every connection gets its own thread (up to a bound) and idle or slow connections time out, so slow
  // clients cannot keep the probes waiting; one request per connection.
  HttpServerLimits limits;
  limits.max_request_bytes = kMaxAdminRequestBytes;
  ApplyHttpServerLimits(limits, *server_);
  // Before any body is read: the admin port takes none.
  server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!HasBody(req)) return httplib::Server::HandlerResponse::Unhandled;
    res.status = kPayloadTooLarge;
    res.set_header("Connection", "close");
    res.set_content(kNoBodyMessage, "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const Readiness readiness = readiness_();
    if (readiness.ready) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(readiness.reason.empty() ? std::string("not ready\n")
                                               : absl::StrCat("not ready: ", readiness.reason, "\n"),
                      "text/plain");
    }
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (before_scrape_) before_scrape_();
    res.set_content(prometheus::TextSerializer().Serialize(registry_->Collect()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/debug/deliveries", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    if (debug_needs_loopback_host_ && !IsLoopbackHostHeader(req.get_header_value("Host"))) {
      res.status = kForbidden;
      res.set_content(JsonText({{"error", "Host must be 127.0.0.1, localhost or [::1] (with or without a port): the "
                                      "admin port listens on loopback, and other names could be DNS rebinding"}}),
                      kJson);
      return;
    }
    if (recent_ == nullptr) {
      res.status = kNotFound;
      res.set_content(JsonText({{"error", "recent deliveries are off (admin.recent_deliveries: 0)"}}), kJson);
      return;
    }
    auto filter = ParseDeliveriesQuery(req.params, recent_->capacity());
    if (!filter.ok()) {
      res.status = kBadRequest;
      res.set_content(JsonText({{"error", std::string(filter.status().message())}}), kJson);
      return;
    }
    res.set_content(JsonText(DeliveriesJson(*recent_, *filter)), kJson);
  });
  port_ = BindHttpServer(*server_, host, port);
  if (port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, " (address in use or not local?)"));
  }
  thread_ = ServeInBackground(*server_);
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace schedsvc::service
