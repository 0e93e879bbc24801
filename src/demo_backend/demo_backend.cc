#include "src/demo_backend/demo_backend.h"

#include <httplib.h>

#include <atomic>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "src/common/clock.h"
#include "src/common/duration.h"
#include "src/common/http_server_limits.h"
#include "src/dispatch/secret_file.h"
#include "src/common/json_text.h"

namespace schedsvc::demo_backend {
namespace {

// Requests served on one kept-alive connection before it is closed.
constexpr std::size_t kKeepAliveRequests = 1000;

constexpr int kMinStatus = 100;
constexpr int kPayloadTooLarge = 413;
constexpr int kLengthRequired = 411;
constexpr int kMaxStatus = 599;
// API paths match everything; control paths are registered first and win.
constexpr char kAnyPath[] = R"(/.*)";

absl::Status CheckBehavior(const DemoBackendBehavior& behavior) {
  if (!(behavior.fail_rate >= 0.0 && behavior.fail_rate <= 1.0)) {
    return absl::InvalidArgumentError("fail_rate must be in [0, 1]");
  }
  if (behavior.fail_status < kMinStatus || behavior.fail_status > kMaxStatus) {
    return absl::InvalidArgumentError("fail_status must be an HTTP status 100-599");
  }
  if (behavior.latency < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("latency must not be negative");
  }
  for (const auto& [path, status] : behavior.status_for_path) {
    if (path.empty() || path[0] != '/' || status < kMinStatus || status > kMaxStatus) {
      return absl::InvalidArgumentError(
          absl::StrCat("status_for_path entry '", path, "' needs a /path and a status 100-599"));
    }
  }
  return absl::OkStatus();
}

nlohmann::json BehaviorToJson(const DemoBackendBehavior& behavior) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& [path, status] : behavior.status_for_path) paths[path] = status;
  return {{"fail_rate", behavior.fail_rate},
          {"fail_status", behavior.fail_status},
          {"latency", FormatDurationText(behavior.latency)},
          {"status_for_path", paths}};
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> ParseStatusForPath(absl::string_view text) {
  const std::size_t eq = text.rfind('=');
  int status = 0;
  if (eq == absl::string_view::npos || eq == 0 || text[0] != '/' ||
      !absl::SimpleAtoi(text.substr(eq + 1), &status) || status < kMinStatus ||
      status > kMaxStatus) {
    return absl::InvalidArgumentError(
        absl::StrCat("--status-for-path wants PATH=STATUS like /bad=400, got '", text, "'"));
  }
  return std::make_pair(std::string(text.substr(0, eq)), status);
}

absl::StatusOr<DemoBackendBehavior> ApplyBehaviorJson(absl::string_view json,
                                                      DemoBackendBehavior base) {
  nlohmann::json parsed = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                                /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError("config body must be a JSON object");
  }
  if (parsed.contains("fail_rate")) {
    if (!parsed["fail_rate"].is_number()) return absl::InvalidArgumentError("fail_rate: number");
    base.fail_rate = parsed["fail_rate"].get<double>();
  }
  if (parsed.contains("fail_status")) {
    if (!parsed["fail_status"].is_number_integer()) {
      return absl::InvalidArgumentError("fail_status: integer");
    }
    base.fail_status = parsed["fail_status"].get<int>();
  }
  if (parsed.contains("latency")) {
    if (!parsed["latency"].is_string()) {
      return absl::InvalidArgumentError("latency: duration text like \"2s\"");
    }
    absl::StatusOr<absl::Duration> latency =
        ParseDurationText(parsed["latency"].get<std::string>());
    if (!latency.ok()) return latency.status();
    base.latency = *latency;
  }
  if (parsed.contains("status_for_path")) {
    if (!parsed["status_for_path"].is_object()) {
      return absl::InvalidArgumentError("status_for_path: object of path -> status");
    }
    base.status_for_path.clear();
    for (const auto& [path, status] : parsed["status_for_path"].items()) {
      if (!status.is_number_integer()) {
        return absl::InvalidArgumentError("status_for_path values: integer statuses");
      }
      base.status_for_path[path] = status.get<int>();
    }
  }
  if (absl::Status valid = CheckBehavior(base); !valid.ok()) return valid;
  return base;
}

class DemoBackend::Impl {
 public:
  explicit Impl(DemoBackendOptions options)
      : options_(std::move(options)), behavior_(options_.behavior) {
    if (!options_.username_file.empty()) {
      username_ = std::make_unique<dispatch::SecretFile>(options_.username_file, clock_);
      password_ = std::make_unique<dispatch::SecretFile>(options_.password_file, clock_);
    }
  }

  ~Impl() { Stop(); }

  absl::Status Start() {
    HttpServerLimits limits;
    limits.max_request_bytes = options_.max_request_bytes;
    limits.max_connection_threads = static_cast<std::size_t>(options_.threads);
    // Keep-alive stays on: the service (libcurl) reuses its connections, and one request per connection made
    // every request a new connect against cpp-httplib's fixed listen backlog of 5 (dropped SYNs, retried after
    // 1 s and more: the delivery tests slowed from seconds to minutes). The price, on this loopback demo
    // server only: after a 411 refusal the unread chunked body may be parsed as a next request.
    limits.keep_alive_max_count = kKeepAliveRequests;
    ApplyHttpServerLimits(limits, server_);
    server_.set_tcp_nodelay(true);
    // Before the body is read: a body of unknown size is never read.
    server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      return RefuseBodyWithoutLength(req, res) ? httplib::Server::HandlerResponse::Handled
                                               : httplib::Server::HandlerResponse::Unhandled;
    });
    const std::size_t max_request_bytes = options_.max_request_bytes;
    server_.set_error_handler([max_request_bytes](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == kPayloadTooLarge) {
        res.set_content(JsonText(nlohmann::json{{"error", absl::StrCat("request body is larger than ", max_request_bytes,
                                                              " bytes")}}),
                        "application/json");
      } else if (res.status == kLengthRequired) {
        res.set_content(R"({"error":"a request body needs a Content-Length"})", "application/json");
      }
    });
    RegisterControl();
    auto api = [this](const httplib::Request& req, httplib::Response& res) { HandleApi(req, res); };
    server_.Get(kAnyPath, api);
    server_.Post(kAnyPath, api);
    server_.Put(kAnyPath, api);
    server_.Patch(kAnyPath, api);
    server_.Delete(kAnyPath, api);

    port_ = BindHttpServer(server_, options_.host, options_.port);
    if (port_ <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
    }
    thread_ = ServeInBackground(server_);
    return absl::OkStatus();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  std::vector<DemoCall> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  void SetBehavior(DemoBackendBehavior behavior) {
    absl::MutexLock lock(&mu_);
    behavior_ = std::move(behavior);
  }

  DemoBackendBehavior behavior() const {
    absl::MutexLock lock(&mu_);
    return behavior_;
  }

 private:
  struct MessageCounts {
    int calls = 0;
    int successes = 0;
  };

  void RegisterControl() {
    server_.Get("/_calls", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json out = nlohmann::json::array();
      for (const DemoCall& call : calls()) {
        out.push_back({{"message_id", call.message_id},
                       {"attempt", call.attempt},
                       {"method", call.method},
                       {"path", call.path},
                       {"status", call.status},
                       {"time", absl::FormatTime(absl::RFC3339_full, call.time, absl::UTCTimeZone())}});
      }
      res.set_content(JsonText(out), "application/json");
    });
    server_.Get("/_stats", [this](const httplib::Request&, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      nlohmann::json by_status = nlohmann::json::object();
      for (const auto& [status, count] : by_status_) by_status[std::to_string(status)] = count;
      int succeeded = 0;
      int duplicates = 0;
      for (const auto& [id, counts] : per_message_) {
        if (counts.successes >= 1) ++succeeded;
        if (counts.successes > 1) ++duplicates;
      }
      nlohmann::json out = {{"calls", total_calls_},
                            {"by_status", by_status},
                            {"unique_messages", per_message_.size()},
                            {"messages_succeeded", succeeded},
                            {"duplicate_successes", duplicates},
                            {"unauthorized", unauthorized_}};
      res.set_content(JsonText(out), "application/json");
    });
    server_.Post("/_reset", [this](const httplib::Request&, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      calls_.clear();
      per_message_.clear();
      by_status_.clear();
      total_calls_ = 0;
      unauthorized_ = 0;
      res.set_content(R"({"reset":true})", "application/json");
    });
    server_.Get("/_config", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(JsonText(BehaviorToJson(behavior())), "application/json");
    });
    server_.Post("/_config", [this](const httplib::Request& req, httplib::Response& res) {
      absl::StatusOr<DemoBackendBehavior> updated = ApplyBehaviorJson(req.body, behavior());
      if (!updated.ok()) {
        res.status = 400;
        res.set_content(JsonText(nlohmann::json{{"error", std::string(updated.status().message())}}),
                        "application/json");
        return;
      }
      SetBehavior(*updated);
      res.set_content(JsonText(BehaviorToJson(*updated)), "application/json");
    });
  }

  // Returns true when the request carries the expected Basic credentials (or none are configured).
  bool Authorized(const httplib::Request& req) {
    if (username_ == nullptr) return true;
    absl::StatusOr<std::string> user = username_->Value();
    absl::StatusOr<std::string> pass = password_->Value();
    if (!user.ok() || !pass.ok()) return false;
    const std::string expected =
        absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(*user, ":", *pass)));
    const std::string given = req.get_header_value("Authorization");
    // Constant-time comparison: the demo should not teach timing leaks.
    unsigned char diff = given.size() == expected.size() ? 0 : 1;
    for (std::size_t i = 0; i < given.size() && i < expected.size(); ++i) {
      diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
    }
    return diff == 0;
  }

  void HandleApi(const httplib::Request& req, httplib::Response& res) {
    DemoCall call;
    call.message_id = req.get_header_value("Idempotency-Key");
    int attempt = 0;
    if (absl::SimpleAtoi(req.get_header_value("X-Delivery-Attempt"), &attempt)) {
      call.attempt = attempt;
    }
    call.method = req.method;
    call.path = req.path;
    call.time = clock_.Now();

    const DemoBackendBehavior behavior = this->behavior();
    if (!Authorized(req)) {
      call.status = 401;
      res.set_header("WWW-Authenticate", R"(Basic realm="demo-backend")");
      res.status = call.status;
      res.set_content(R"({"error":"unauthorized"})", "application/json");
      Record(std::move(call), /*unauthorized=*/true);
      return;
    }
    if (behavior.latency > absl::ZeroDuration()) absl::SleepFor(behavior.latency);

    call.status = 200;
    if (auto it = behavior.status_for_path.find(req.path); it != behavior.status_for_path.end()) {
      call.status = it->second;
    } else if (behavior.fail_rate > 0.0) {
      bool fail = false;
      {
        absl::MutexLock lock(&mu_);
        fail = absl::Bernoulli(gen_, behavior.fail_rate);
      }
      if (fail) call.status = behavior.fail_status;
    }
    res.status = call.status;
    res.set_content(JsonText(nlohmann::json{{"status", call.status}, {"message_id", call.message_id}}),
                    "application/json");
    Record(std::move(call), /*unauthorized=*/false);
  }

  void Record(DemoCall call, bool unauthorized) {
    absl::MutexLock lock(&mu_);
    ++total_calls_;
    ++by_status_[call.status];
    if (unauthorized) ++unauthorized_;
    MessageCounts& counts = per_message_[call.message_id];
    ++counts.calls;
    if (call.status >= 200 && call.status < 300) ++counts.successes;
    if (calls_.size() < options_.max_recorded_calls) calls_.push_back(std::move(call));
  }

  const DemoBackendOptions options_;
  SystemClock clock_;
  std::unique_ptr<dispatch::SecretFile> username_;
  std::unique_ptr<dispatch::SecretFile> password_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<bool> stopped_{false};

  mutable absl::Mutex mu_;
  DemoBackendBehavior behavior_ ABSL_GUARDED_BY(mu_);
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  std::vector<DemoCall> calls_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, MessageCounts> per_message_ ABSL_GUARDED_BY(mu_);
  std::map<int, int> by_status_ ABSL_GUARDED_BY(mu_);
  long total_calls_ ABSL_GUARDED_BY(mu_) = 0;
  long unauthorized_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::StatusOr<std::unique_ptr<DemoBackend>> DemoBackend::Start(DemoBackendOptions options) {
  if (absl::Status valid = CheckBehavior(options.behavior); !valid.ok()) return valid;
  if (options.username_file.empty() != options.password_file.empty()) {
    return absl::InvalidArgumentError("give both --username-file and --password-file, or neither");
  }
  if (options.threads < 1) return absl::InvalidArgumentError("threads must be >= 1");
  if (options.max_request_bytes < 1) return absl::InvalidArgumentError("max_request_bytes must be >= 1");
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError("port must be 0-65535");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status started = impl->Start(); !started.ok()) return started;
  return std::unique_ptr<DemoBackend>(new DemoBackend(std::move(impl)));
}

DemoBackend::DemoBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DemoBackend::~DemoBackend() { impl_->Stop(); }
int DemoBackend::port() const { return impl_->port(); }
void DemoBackend::Stop() { impl_->Stop(); }
std::vector<DemoCall> DemoBackend::calls() const { return impl_->calls(); }
void DemoBackend::SetBehavior(DemoBackendBehavior behavior) {
  impl_->SetBehavior(std::move(behavior));
}
DemoBackendBehavior DemoBackend::behavior() const { return impl_->behavior(); }

}  // namespace schedsvc::demo_backend
