#include "src/push/push_server.h"

#include <httplib.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/check.h"
#include "src/common/http_server_limits.h"
#include "src/pubsub/limits.h"
#include "src/push/push_envelope.h"

namespace schedsvc::push {
namespace {

constexpr int kNoContent = 204;
constexpr int kBadRequest = 400;
constexpr int kUnauthorized = 401;
constexpr int kForbidden = 403;
constexpr int kMethodNotAllowed = 405;
constexpr int kPayloadTooLarge = 413;
constexpr int kTooManyRequests = 429;
constexpr int kServiceUnavailable = 503;
constexpr int kMaxPort = 65535;
// Base64 turns 3 bytes into 4: the wrapped envelope's data field of the largest message.
constexpr std::size_t kMaxBase64DataBytes = (pubsub::kMaxMessageBytes + 2) / 3 * 4;
// Everything else in an envelope (attributes, ids, times, JSON syntax and escapes): Pub/Sub's attribute
// limits allow 100 x (256 + 1024) bytes, escaped at most 6-fold as \uXXXX.
constexpr std::size_t kEnvelopeOverheadBytes = 1 << 20;
// Largest push body accepted: a wrapped envelope of Pub/Sub's largest message (an unwrapped body is
// the data alone, smaller).
constexpr std::size_t kMaxPushBodyBytes = kMaxBase64DataBytes + kEnvelopeOverheadBytes;
// The answer is sent this long before the push deadline at the latest (the dispatcher's budget ends
// earlier still, delivery_budget.h), so it reaches Pub/Sub while Pub/Sub still waits for it.
constexpr absl::Duration kAnswerMargin = absl::Seconds(1);
// Connection threads beyond max_outstanding_messages: room for the requests answered 429 or 401 at once
// while the service is full, and for slow clients.
constexpr std::size_t kExtraConnectionThreads = 64;
// Upper bound of connection threads whatever max_outstanding_messages says (each waiting request holds one).
constexpr std::size_t kMaxConnectionThreads = 4096;
// A request body is read within this per read; Pub/Sub sends from a fast network.
constexpr absl::Duration kReadTimeout = absl::Seconds(10);

std::string EscapeRegex(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::string_view(".^$|()[]{}*+?\\").find(c) != absl::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

absl::string_view AuthResult(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return metrics::kPushUnauthenticated;
    case absl::StatusCode::kPermissionDenied:
      return metrics::kPushForbidden;
    default:
      return metrics::kPushUnavailable;
  }
}

int AuthStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return kUnauthorized;
    case absl::StatusCode::kPermissionDenied:
      return kForbidden;
    default:
      return kServiceUnavailable;
  }
}

}  // namespace

PushServer::PushServer(PushServerOptions options, PushAuthenticator* authenticator, PushHandler handler,
                       Clock& steady, metrics::ServiceMetrics& metrics, JsonLogger& log)
    : options_(std::move(options)),
      authenticator_(authenticator),
      handler_(std::move(handler)),
      steady_(steady),
      metrics_(metrics),
      log_(log) {}

PushServer::~PushServer() { Stop(); }

absl::Status PushServer::Start() {
  const std::size_t colon = options_.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(options_.listen.substr(colon + 1), &port) ||
      port < 0 || port > kMaxPort) {
    return absl::InvalidArgumentError(absl::StrCat("push.listen '", options_.listen, "' is not host:port"));
  }
  std::string host = options_.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  server_ = std::make_unique<httplib::Server>();
  HttpServerLimits limits;
  limits.max_request_bytes = kMaxPushBodyBytes;
  limits.read_timeout = kReadTimeout;
  limits.max_connection_threads =
      std::min<std::size_t>(static_cast<std::size_t>(options_.max_outstanding_messages) + kExtraConnectionThreads,
                            kMaxConnectionThreads);
  // One request per connection: a request refused before its body is read (401/403/429 come before the
  // body) leaves that body unread, and cpp-httplib would parse it as the connection's next request.
  SCHEDSVC_CHECK(limits.keep_alive_max_count == 1);
  ApplyHttpServerLimits(limits, *server_);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                           : httplib::Server::HandlerResponse::Handled;
  });
  server_->Post(EscapeRegex(options_.path),
                [this](const httplib::Request& req, httplib::Response& res) { HandlePush(req, res); });
  // A body over the limit is refused by cpp-httplib itself (413) before any handler: counted here.
  server_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.path == options_.path && res.status == kPayloadTooLarge) {
      metrics_.PushRequest(metrics::kPushBadRequest);
      LogRefusal("too_large", "push request refused: body larger than Pub/Sub's largest message",
                   {{"subscription", options_.subscription}, {"http_status", res.status}});
    }
  });
  port_ = BindHttpServer(*server_, host, port);
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on push.listen ", options_.listen, " (address in use or not local?)"));
  }
  listening_ = true;
  thread_ = ServeInBackground(*server_);
  return absl::OkStatus();
}

namespace {
// Spacing of the log lines of one kind of refused request: refusals come at whatever rate anyone on the
// network sends requests.
constexpr absl::Duration kRefusalLogInterval = absl::Seconds(10);

// When the request this connection thread serves arrived (its headers were read): set by Admit(), read by
// HandlePush(), which cpp-httplib runs on the same thread for the same request.
thread_local absl::Time request_arrived = absl::InfinitePast();
}  // namespace

bool PushServer::Admit(const httplib::Request& req, httplib::Response& res) {
  if (req.path != options_.path) return true;  // the router answers 404
  request_arrived = steady_.Now();
  if (req.method != "POST") {
    res.set_header("Allow", "POST");
    Answer(res, kMethodNotAllowed, metrics::kPushBadRequest, "only POST is accepted here\n");
    return false;
  }
  if (!accepting_) {
    Answer(res, kServiceUnavailable, metrics::kPushUnavailable, "shutting down\n");
    return false;
  }
  if (RefuseBodyWithoutLength(req, res)) {
    metrics_.PushRequest(metrics::kPushBadRequest);
    return false;
  }
  if (authenticator_ != nullptr) {
    const absl::Status allowed = authenticator_->Check(req.get_header_value("Authorization"));
    if (!allowed.ok()) {
      // The authenticator's message names the failed check and never the token.
      LogRefusal(AuthResult(allowed.code()), "push request refused by authentication",
                   {{"subscription", options_.subscription},
                    {"http_status", AuthStatus(allowed.code())},
                    {"code", absl::StatusCodeToString(allowed.code())},
                    {"error", std::string(allowed.message())}});
      Answer(res, AuthStatus(allowed.code()), AuthResult(allowed.code()), "not authorized\n");
      return false;
    }
  }
  return true;
}

void PushServer::HandlePush(const httplib::Request& req, httplib::Response& res) {
  // The budget runs from the request's arrival: authentication (a key fetch) and the body read count.
  const absl::Time received = request_arrived != absl::InfinitePast() ? request_arrived : steady_.Now();
  request_arrived = absl::InfinitePast();
  // Reserve a place in the service; released when the message leaves it (PushAckHandle's on_release).
  if (in_service_->fetch_add(1) >= options_.max_outstanding_messages) {
    in_service_->fetch_sub(1);
    Answer(res, kTooManyRequests, metrics::kPushServiceFull, "service full\n");
    return;
  }
  PushRequestParts parts;
  parts.body = req.body;
  parts.headers.assign(req.headers.begin(), req.headers.end());
  auto parsed = ParsePushRequest(parts, [this] { return RandomId(); });
  if (!parsed.ok()) {
    in_service_->fetch_sub(1);
    LogRefusal("not_push", "push request refused: not a Pub/Sub push message",
                 {{"subscription", options_.subscription}, {"error", std::string(parsed.status().message())}});
    Answer(res, kBadRequest, metrics::kPushBadRequest, absl::StrCat(parsed.status().message(), "\n"));
    return;
  }
  if (!parsed->subscription.empty() && parsed->subscription != options_.subscription) {
    // Its dead letters would name the configured subscription as their source, and be replayed there.
    in_service_->fetch_sub(1);
    LogRefusal("other_subscription", "push request refused: from another subscription than the configured one",
                 {{"subscription", options_.subscription}, {"message_id", parsed->message.message_id}});
    Answer(res, kBadRequest, metrics::kPushBadRequest, "push from another subscription than this service's\n");
    return;
  }
  pubsub::Message message = std::move(parsed->message);
  message.receive_time = received;
  std::shared_ptr<std::atomic<std::int64_t>> in_service = in_service_;
  auto settle = std::make_shared<PushAckHandle>([in_service] { in_service->fetch_sub(1); });
  const std::string ack_id = message.message_id;
  bool taken = false;
  {
    absl::MutexLock lock(&mu_);
    // Shutdown may have begun while the body was read: then the message is not taken at all.
    if (accepting_) taken = waiting_.insert(settle).second;
  }
  if (!taken) {
    settle.reset();  // releases the reservation
    Answer(res, kServiceUnavailable, metrics::kPushUnavailable, "shutting down\n");
    return;
  }
  handler_(std::move(message), pubsub::AckHandle(settle, ack_id));
  const absl::Duration bound = options_.ack_deadline - kAnswerMargin - (steady_.Now() - received);
  PushSettle result = settle->Wait(std::max(bound, absl::ZeroDuration()));
  bool deadline_reached = false;
  if (result == PushSettle::kPending) {
    // A settle may land between the end of the wait and here: the answer is whatever is final.
    result = settle->Abandon();
    deadline_reached = result == PushSettle::kAbandoned;
  }
  {
    absl::MutexLock lock(&mu_);
    waiting_.erase(settle);
  }
  switch (result) {
    case PushSettle::kAcked:
      Answer(res, kNoContent, metrics::kPushAcked, "");
      return;
    case PushSettle::kNacked:
      Answer(res, kServiceUnavailable, metrics::kPushNacked, "handed back for redelivery\n");
      return;
    case PushSettle::kAbandoned:
    case PushSettle::kPending:  // not after Abandon(); answered as abandoned
      if (!deadline_reached) {
        Answer(res, kServiceUnavailable, metrics::kPushUnavailable, "shutting down\n");
        return;
      }
      log_.Warning("push request answered unsettled at its deadline: Pub/Sub will redeliver",
                   {{"subscription", options_.subscription},
                    {"message_id", ack_id},
                    {"ack_deadline_s", absl::ToDoubleSeconds(options_.ack_deadline)}});
      Answer(res, kServiceUnavailable, metrics::kPushUnavailable, "not settled before the push deadline\n");
      return;
  }
}

void PushServer::Answer(httplib::Response& res, int status, absl::string_view result, absl::string_view text) {
  metrics_.PushRequest(result);
  res.status = status;
  if (!text.empty()) res.set_content(std::string(text), "text/plain");
}

void PushServer::LogRefusal(absl::string_view kind, absl::string_view message, nlohmann::json fields) {
  std::int64_t suppressed = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!refusal_lines_[kind].Admit(steady_.Now(), kRefusalLogInterval, &suppressed)) return;
  }
  fields["suppressed"] = suppressed;
  log_.Warning(message, fields);
}

std::string PushServer::RandomId() {
  absl::MutexLock lock(&mu_);
  return absl::StrFormat("%016x%016x", absl::Uniform<std::uint64_t>(gen_), absl::Uniform<std::uint64_t>(gen_));
}

void PushServer::StopAccepting() {
  // Under mu_: a request that has checked accepting_ under mu_ is in waiting_ before this returns.
  absl::MutexLock lock(&mu_);
  accepting_ = false;
}

void PushServer::AbandonWaiting() {
  absl::MutexLock lock(&mu_);
  for (const auto& settle : waiting_) settle->Abandon();
}

void PushServer::Stop() {
  StopAccepting();
  AbandonWaiting();
  listening_ = false;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace schedsvc::push
