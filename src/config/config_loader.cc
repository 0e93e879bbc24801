#include "src/config/config_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"
#include "src/common/duration.h"
#include "src/common/url_redaction.h"
#include "src/pubsub/limits.h"
#include "src/pubsub/resource_names.h"
#include "yaml-cpp/yaml.h"

namespace schedsvc::config {
namespace {

// Ranges from service_config.h, named once.
constexpr int kMinStreams = 1;
constexpr int kMaxStreams = 64;
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr int kMinAttempts = 0;  // 0 = no attempt limit
constexpr int kMaxAttempts = 100;
constexpr int kMaxConsecutiveFailures = 1000;
const absl::Duration kMinRedeliveryDelay = absl::Seconds(1);
const absl::Duration kMaxRedeliveryDelay = pubsub::kMaxAckDeadline;  // Pub/Sub's ModifyAckDeadline limit
constexpr int kMinConcurrency = 1;
constexpr int kMaxConcurrency = 10000;
constexpr int kMaxGatewayRetries = 100;
constexpr std::int64_t kMaxBodyBytes = pubsub::kMaxMessageBytes;  // Pub/Sub's message size limit
constexpr int kMaxPort = 65535;
const absl::Duration kMinLeaseExtension = absl::Seconds(10);
const absl::Duration kMaxLeaseExtension = absl::Hours(24);
const absl::Duration kMinExtensionStep = pubsub::kMinAckDeadline;
const absl::Duration kMaxExtensionStep = pubsub::kMaxAckDeadline;
const absl::Duration kMaxShutdownGrace = absl::Minutes(10);
constexpr int kMaxRecentDeliveries = 10000;
// A backend attempt shorter than this is over before any backend could answer, yet the backend may
// still run the job: every "timed out" attempt would run it once more.
const absl::Duration kMinBackendTimeout = absl::Milliseconds(1);
// Upper bounds for durations that have no natural limit: far above any sane value, low enough that a
// typo (`100000h`) is an error instead of a wait that never ends.
const absl::Duration kMaxBackendTimeout = absl::Hours(1);
const absl::Duration kMaxBackoff = absl::Hours(1);
const absl::Duration kMaxBreakerWindow = absl::Hours(1);
const absl::Duration kMaxOpenDuration = absl::Hours(1);
const absl::Duration kMaxHold = kMaxLeaseExtension;  // a hold cannot outlast the longest lease
const absl::Duration kMaxGatewayTimeout = absl::Hours(1);
const absl::Duration kMaxGatewayRetryDelay = absl::Hours(1);

std::string Join(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// Walks the YAML tree. Every accessor returns an error naming the file and the dotted key path.
// yaml-cpp is only ever asked for scalars as strings (which cannot throw on a scalar node); numbers,
// booleans and durations are parsed here, so type errors become our messages, not exceptions.
class Reader {
 public:
  Reader(std::string display_name, std::string base_dir)
      : display_name_(std::move(display_name)), base_dir_(std::move(base_dir)) {}

  absl::Status Error(const std::string& path, absl::string_view why) const {
    if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(display_name_, ": ", why));
    return absl::InvalidArgumentError(absl::StrCat(display_name_, ": ", path, ": ", why));
  }

  // Checks that `node` is a mapping whose keys are all in `allowed` and unique.
  absl::Status CheckMap(const YAML::Node& node, const std::string& path,
                        std::initializer_list<absl::string_view> allowed) const {
    if (!node.IsMap()) return Error(path, "must be a mapping of keys to values");
    std::set<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return Error(path, "keys must be plain strings");
      const std::string key = entry.first.Scalar();
      bool known = false;
      for (absl::string_view a : allowed) known = known || a == key;
      if (!known) {
        return Error(Join(path, key),
                     absl::StrCat("unknown key (allowed here: ", absl::StrJoin(allowed, ", "), ")"));
      }
      if (!seen.insert(key).second) return Error(Join(path, key), "duplicate key");
    }
    return absl::OkStatus();
  }

  // Returns the scalar text of `node`, refusing null, lists and maps.
  absl::StatusOr<std::string> Scalar(const YAML::Node& node, const std::string& path) const {
    if (node.IsNull()) return Error(path, "needs a value");
    if (!node.IsScalar()) return Error(path, "must be a single value, not a list or mapping");
    return node.Scalar();
  }

  absl::Status String(const YAML::Node& parent, absl::string_view key, const std::string& path,
                      std::string& out) const {
    YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined()) return absl::OkStatus();
    auto text = Scalar(node, Join(path, key));
    if (!text.ok()) return text.status();
    out = *std::move(text);
    return absl::OkStatus();
  }

  template <typename Int>
  absl::Status Integer(const YAML::Node& parent, absl::string_view key, const std::string& path,
                       Int min, Int max, Int& out) const {
    YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined()) return absl::OkStatus();
    const std::string full = Join(path, key);
    auto text = Scalar(node, full);
    if (!text.ok()) return text.status();
    std::int64_t value = 0;
    if (!absl::SimpleAtoi(*text, &value)) {
      return Error(full, absl::StrCat("must be a whole number, got '", *text, "'"));
    }
    if (value < min || value > max) return RangeError(full, min, max, *text);
    out = static_cast<Int>(value);
    return absl::OkStatus();
  }

  absl::Status Double(const YAML::Node& parent, absl::string_view key, const std::string& path,
                      double min, double max, bool min_exclusive, double& out) const {
    YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined()) return absl::OkStatus();
    const std::string full = Join(path, key);
    auto text = Scalar(node, full);
    if (!text.ok()) return text.status();
    double value = 0;
    if (!absl::SimpleAtod(*text, &value) || !std::isfinite(value)) {
      return Error(full, absl::StrCat("must be a number, got '", *text, "'"));
    }
    if ((min_exclusive ? value <= min : value < min) || value > max) {
      return Error(full, absl::StrCat("must be ", min_exclusive ? "greater than " : "between ", min,
                                      min_exclusive ? " and at most " : " and ", max, ", got ",
                                      *text));
    }
    out = value;
    return absl::OkStatus();
  }

  absl::Status Bool(const YAML::Node& parent, absl::string_view key, const std::string& path,
                    bool& out) const {
    YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined()) return absl::OkStatus();
    const std::string full = Join(path, key);
    auto text = Scalar(node, full);
    if (!text.ok()) return text.status();
    const std::string lower = absl::AsciiStrToLower(*text);
    if (lower == "true" || lower == "yes" || lower == "on") {
      out = true;
    } else if (lower == "false" || lower == "no" || lower == "off") {
      out = false;
    } else {
      return Error(full, absl::StrCat("must be true or false, got '", *text, "'"));
    }
    return absl::OkStatus();
  }

  // Parses a duration; `max` of InfiniteDuration means unbounded. `min_exclusive` makes `min` itself
  // invalid (for "> 0" ranges).
  absl::Status Duration(const YAML::Node& node, const std::string& full, absl::Duration min,
                        absl::Duration max, bool min_exclusive, absl::Duration& out) const {
    auto text = Scalar(node, full);
    if (!text.ok()) return text.status();
    auto value = ParseDurationText(*text);
    if (!value.ok()) return Error(full, value.status().message());
    const bool too_small = min_exclusive ? *value <= min : *value < min;
    if (too_small || *value > max) {
      std::string range;
      if (max == absl::InfiniteDuration()) {
        range = absl::StrCat(min_exclusive ? "greater than " : "at least ", FormatDurationText(min));
      } else if (min_exclusive) {
        range = absl::StrCat("greater than ", FormatDurationText(min), " and at most ",
                             FormatDurationText(max));
      } else {
        range = absl::StrCat("between ", FormatDurationText(min), " and ", FormatDurationText(max));
      }
      return Error(full, absl::StrCat("must be ", range, ", got ", *text));
    }
    out = *value;
    return absl::OkStatus();
  }

  absl::Status Duration(const YAML::Node& parent, absl::string_view key, const std::string& path,
                        absl::Duration min, absl::Duration max, bool min_exclusive,
                        absl::Duration& out) const {
    YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined()) return absl::OkStatus();
    return Duration(node, Join(path, key), min, max, min_exclusive, out);
  }

  // Resolves `file` against the config's directory and checks that it is a readable regular file.
  // Only the path appears in errors, never the content.
  absl::Status CredentialFile(const std::string& full, std::string& file) const {
    if (file.empty()) return Error(full, "must name a file");
    if (file.front() != '/' && !base_dir_.empty()) file = absl::StrCat(base_dir_, "/", file);
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      return Error(full, absl::StrCat("cannot read '", file, "': ", std::strerror(errno)));
    }
    if (!S_ISREG(st.st_mode)) return Error(full, absl::StrCat("'", file, "' is not a regular file"));
    if (::access(file.c_str(), R_OK) != 0) {
      return Error(full, absl::StrCat("cannot read '", file, "': ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

 private:
  template <typename Int>
  absl::Status RangeError(const std::string& full, Int min, Int max, const std::string& got) const {
    if (max == std::numeric_limits<Int>::max()) {
      return Error(full, absl::StrCat("must be at least ", min, ", got ", got));
    }
    return Error(full, absl::StrCat("must be between ", min, " and ", max, ", got ", got));
  }

  std::string display_name_;
  std::string base_dir_;
};

#define SCHEDSVC_RETURN_IF_ERROR(expr)        \
  do {                                        \
    if (absl::Status _st = (expr); !_st.ok()) \
      return _st;                             \
  } while (false)

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::StrContains("!#$%&'*+-.^_`|~", c);
}

// Returns true for ASCII control characters (0x00-0x1f, 0x7f).
bool IsControlChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool IsBackendNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// url: http(s)://host[:port][/path], no user info, query, fragment, spaces or control characters. Errors
// show the URL only through RedactUrl: a wrong scheme must not echo a password in its user info.
absl::Status ValidateUrl(const Reader& r, const std::string& full, const std::string& url) {
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://") || absl::ConsumePrefix(&rest, "http://")) {
  } else {
    return r.Error(full, absl::StrCat("must start with http:// or https://, got '", RedactUrl(url), "'"));
  }
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return r.Error(full, absl::StrCat("must not contain spaces or control characters: '", RedactUrl(url), "'"));
    }
  }
  if (absl::StrContains(url, '?')) return r.Error(full, "must not contain a query ('?')");
  if (absl::StrContains(url, '#')) return r.Error(full, "must not contain a fragment ('#')");
  absl::string_view authority = rest.substr(0, rest.find('/'));
  // '@' anywhere, not only in the authority: "https://user:pa/ss@host" puts a password before a '/'.
  if (absl::StrContains(rest, '@')) {
    // Never echo the URL here: the user info may hold a password.
    return r.Error(full, "must not contain '@' (no credentials in URLs; use auth.basic or auth.bearer files)");
  }
  absl::string_view host = authority;
  if (absl::StartsWith(authority, "[")) {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return r.Error(full, "has an unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return r.Error(full, "has junk after the IPv6 host");
      int port = 0;
      if (!absl::SimpleAtoi(after, &port) || port < 1 || port > kMaxPort) {
        return r.Error(full, "has an invalid port after the IPv6 host");
      }
    }
  } else if (const size_t colon = authority.find(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    absl::string_view port_text = authority.substr(colon + 1);
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > kMaxPort) {
      // Never echo the port text: in "https://user:pa/ss@host" the "port" is the start of a password.
      return r.Error(full, "has an invalid port (1-65535)");
    }
  }
  if (host.empty()) return r.Error(full, absl::StrCat("has no host: '", RedactUrl(url), "'"));
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return r.Error(full, "must not contain whitespace in the host");
    }
  }
  return absl::OkStatus();
}

// admin.listen: host:port (IPv6 as [addr]:port); port 0 picks a free port.
absl::Status ValidateListen(const Reader& r, const std::string& full, const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return r.Error(full, absl::StrCat("must be host:port, got '", listen, "'"));
  }
  int port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > kMaxPort) {
    return r.Error(full, absl::StrCat("port must be between 0 and 65535, got '", listen, "'"));
  }
  return absl::OkStatus();
}

absl::Status LoadAuth(const Reader& r, const YAML::Node& node, const std::string& path,
                      AuthConfig& auth) {
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(node, path, {"basic", "bearer"}));
  if (node["basic"] && node["bearer"]) return r.Error(path, "set either basic or bearer, not both");
  if (YAML::Node basic = node["basic"]) {
    const std::string bpath = Join(path, "basic");
    SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(basic, bpath, {"username_file", "password_file"}));
    auth.kind = AuthKind::kBasic;
    for (auto [key, field] : {std::pair{"username_file", &auth.username_file},
                              std::pair{"password_file", &auth.password_file}}) {
      const std::string full = Join(bpath, key);
      if (!basic[key]) return r.Error(full, "is required for basic auth");
      SCHEDSVC_RETURN_IF_ERROR(r.String(basic, key, bpath, *field));
      SCHEDSVC_RETURN_IF_ERROR(r.CredentialFile(full, *field));
    }
  }
  if (YAML::Node bearer = node["bearer"]) {
    const std::string bpath = Join(path, "bearer");
    SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(bearer, bpath, {"token_file"}));
    auth.kind = AuthKind::kBearer;
    const std::string full = Join(bpath, "token_file");
    if (!bearer["token_file"]) return r.Error(full, "is required for bearer auth");
    SCHEDSVC_RETURN_IF_ERROR(r.String(bearer, "token_file", bpath, auth.token_file));
    SCHEDSVC_RETURN_IF_ERROR(r.CredentialFile(full, auth.token_file));
  }
  return absl::OkStatus();
}

absl::Status LoadHeaders(const Reader& r, const YAML::Node& node, const std::string& path,
                         std::map<std::string, std::string>& headers) {
  if (!node.IsMap()) return r.Error(path, "must be a mapping of header names to values");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return r.Error(path, "header names must be plain strings");
    const std::string name = entry.first.Scalar();
    // The name goes into the key path of errors: control bytes in it are shown escaped, never raw.
    const bool name_has_control = std::any_of(name.begin(), name.end(), IsControlChar);
    const std::string full = Join(path, name_has_control ? absl::CEscape(name) : name);
    if (name.empty()) return r.Error(full, "header name must not be empty");
    for (char c : name) {
      if (!IsTokenChar(c)) return r.Error(full, "is not a valid HTTP header name");
    }
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "authorization") return r.Error(full, "set credentials with auth, not a static header");
    for (absl::string_view reserved : {"idempotency-key", "x-delivery-attempt", "content-length",
                                       "host", "transfer-encoding"}) {
      if (lower == reserved) return r.Error(full, "is set by the service and cannot be overridden");
    }
    auto value = r.Scalar(entry.second, full);
    if (!value.ok()) return value.status();
    // RFC 9110 field values: visible characters, spaces and tabs. CR or LF would end the header line
    // and start another; NUL would cut it short; other controls are refused by many servers.
    if (std::any_of(value->begin(), value->end(), [](char c) { return c != '\t' && IsControlChar(c); })) {
      return r.Error(full, "value must not contain line breaks, NUL or other control characters");
    }
    if (!headers.emplace(name, *value).second) return r.Error(full, "duplicate header");
  }
  return absl::OkStatus();
}

absl::Status LoadRetry(const Reader& r, const YAML::Node& node, const std::string& path,
                       RetryConfig& retry) {
  SCHEDSVC_RETURN_IF_ERROR(
      r.CheckMap(node, path, {"max_attempts", "initial_backoff", "max_backoff", "multiplier"}));
  SCHEDSVC_RETURN_IF_ERROR(
      r.Integer(node, "max_attempts", path, kMinAttempts, kMaxAttempts, retry.max_attempts));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "initial_backoff", path, absl::ZeroDuration(),
                                      kMaxBackoff, true, retry.initial_backoff));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "max_backoff", path, absl::ZeroDuration(),
                                      kMaxBackoff, true, retry.max_backoff));
  SCHEDSVC_RETURN_IF_ERROR(r.Double(node, "multiplier", path, 1.0, 100.0, false, retry.multiplier));
  if (retry.max_backoff < retry.initial_backoff) {
    return r.Error(Join(path, "max_backoff"),
                   absl::StrCat("must be at least retry.initial_backoff (",
                                FormatDurationText(retry.initial_backoff), "), got ",
                                FormatDurationText(retry.max_backoff)));
  }
  return absl::OkStatus();
}

absl::Status LoadCircuitBreaker(const Reader& r, const YAML::Node& node, const std::string& path,
                                CircuitBreakerConfig& cb) {
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(
      node, path,
      {"enabled", "failure_rate_threshold", "minimum_requests", "window", "open_duration",
       "half_open_probes", "max_hold", "max_held_messages", "consecutive_failures"}));
  SCHEDSVC_RETURN_IF_ERROR(r.Bool(node, "enabled", path, cb.enabled));
  SCHEDSVC_RETURN_IF_ERROR(
      r.Double(node, "failure_rate_threshold", path, 0.0, 1.0, true, cb.failure_rate_threshold));
  SCHEDSVC_RETURN_IF_ERROR(r.Integer(node, "minimum_requests", path, 1,
                                     std::numeric_limits<int>::max(), cb.minimum_requests));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "window", path, absl::ZeroDuration(),
                                      kMaxBreakerWindow, true, cb.window));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "open_duration", path, absl::ZeroDuration(),
                                      kMaxOpenDuration, true, cb.open_duration));
  SCHEDSVC_RETURN_IF_ERROR(r.Integer(node, "half_open_probes", path, 1,
                                     std::numeric_limits<int>::max(), cb.half_open_probes));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "max_hold", path, absl::ZeroDuration(),
                                      kMaxHold, false, cb.max_hold));
  SCHEDSVC_RETURN_IF_ERROR(r.Integer(node, "max_held_messages", path, 0,
                                     std::numeric_limits<int>::max(), cb.max_held_messages));
  SCHEDSVC_RETURN_IF_ERROR(r.Integer(node, "consecutive_failures", path, 0, kMaxConsecutiveFailures,
                                     cb.consecutive_failures));
  return absl::OkStatus();
}

absl::Status LoadGateway(const Reader& r, const YAML::Node& node, const std::string& path,
                         GatewayConfig& gw) {
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(node, path, {"timeout", "retries", "retry_delays"}));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "timeout", path, absl::ZeroDuration(),
                                      kMaxGatewayTimeout, false, gw.timeout));
  SCHEDSVC_RETURN_IF_ERROR(r.Integer(node, "retries", path, 0, kMaxGatewayRetries, gw.retries));
  if (YAML::Node delays = node["retry_delays"]) {
    const std::string full = Join(path, "retry_delays");
    if (!delays.IsSequence()) return r.Error(full, "must be a list of durations, e.g. [10s, 20s]");
    for (std::size_t i = 0; i < delays.size(); ++i) {
      absl::Duration d;
      SCHEDSVC_RETURN_IF_ERROR(r.Duration(delays[i], absl::StrCat(full, "[", i, "]"),
                                          absl::ZeroDuration(), kMaxGatewayRetryDelay, false, d));
      gw.retry_delays.push_back(d);
    }
    if (static_cast<int>(gw.retry_delays.size()) > gw.retries) {
      return r.Error(full, absl::StrCat("has ", gw.retry_delays.size(),
                                        " entries but gateway.retries is ", gw.retries,
                                        " (one delay per retry at most)"));
    }
  }
  if (gw.timeout == absl::ZeroDuration() && gw.retries > 0) {
    return r.Error(Join(path, "timeout"),
                   "is required when gateway.retries is set (the budget needs the gateway's timeout)");
  }
  return absl::OkStatus();
}

absl::Status LoadBackend(const Reader& r, const YAML::Node& node, const std::string& path,
                         BackendConfig& b) {
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(
      node, path,
      {"url", "auth", "headers", "timeout", "retry", "max_concurrency", "circuit_breaker",
       "gateway", "max_body_bytes", "tls_verify"}));
  if (!node["url"]) return r.Error(Join(path, "url"), "is required");
  SCHEDSVC_RETURN_IF_ERROR(r.String(node, "url", path, b.url));
  SCHEDSVC_RETURN_IF_ERROR(ValidateUrl(r, Join(path, "url"), b.url));
  if (YAML::Node auth = node["auth"]) {
    SCHEDSVC_RETURN_IF_ERROR(LoadAuth(r, auth, Join(path, "auth"), b.auth));
  }
  if (YAML::Node headers = node["headers"]) {
    SCHEDSVC_RETURN_IF_ERROR(LoadHeaders(r, headers, Join(path, "headers"), b.headers));
  }
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "timeout", path, kMinBackendTimeout,
                                      kMaxBackendTimeout, false, b.timeout));
  if (YAML::Node retry = node["retry"]) {
    SCHEDSVC_RETURN_IF_ERROR(LoadRetry(r, retry, Join(path, "retry"), b.retry));
  }
  SCHEDSVC_RETURN_IF_ERROR(
      r.Integer(node, "max_concurrency", path, kMinConcurrency, kMaxConcurrency, b.max_concurrency));
  if (YAML::Node cb = node["circuit_breaker"]) {
    SCHEDSVC_RETURN_IF_ERROR(
        LoadCircuitBreaker(r, cb, Join(path, "circuit_breaker"), b.circuit_breaker));
  }
  if (YAML::Node gw = node["gateway"]) {
    SCHEDSVC_RETURN_IF_ERROR(LoadGateway(r, gw, Join(path, "gateway"), b.gateway));
  }
  SCHEDSVC_RETURN_IF_ERROR(
      r.Integer(node, "max_body_bytes", path, std::int64_t{1}, kMaxBodyBytes, b.max_body_bytes));
  SCHEDSVC_RETURN_IF_ERROR(r.Bool(node, "tls_verify", path, b.tls_verify));
  return absl::OkStatus();
}

// The reasons a pull-only key has no meaning with `ingest: push`, by key.
constexpr char kNoSubscriberWhy[] =
    "is a pull setting: with ingest: push there is no subscriber (remove it, or use ingest: pull)";
constexpr char kNoLeaseWhy[] =
    "is a pull setting: a push request cannot be leased or extended past push.ack_deadline (remove it, "
    "or use ingest: pull)";
constexpr char kNoNackDelayWhy[] =
    "is a pull setting: a push answer carries no nack delay, Pub/Sub's retry policy sets it (remove it, "
    "or use ingest: pull)";
constexpr char kNoHoldWhy[] =
    "is a pull setting: a push request cannot be held past push.ack_deadline, so an open circuit answers "
    "at once (remove it, or use ingest: pull)";
constexpr char kNoBytesWhy[] =
    "is a pull setting: push requests are bounded by count (flow_control.max_outstanding_messages) and "
    "each by Pub/Sub's message size (remove it, or use ingest: pull)";
// Longest push.path accepted: far above any real path, short enough to show in an error.
constexpr std::size_t kMaxPushPathBytes = 256;

// Refuses, with ingest: push, every key that only a pulling subscriber uses.
absl::Status CheckPushOnlyKeys(const Reader& r, const YAML::Node& root) {
  if (root["streams"]) return r.Error("streams", kNoSubscriberWhy);
  if (YAML::Node lease = root["lease"]) {
    for (const char* key : {"max_extension", "extension_step"}) {
      if (lease.IsMap() && lease[key]) return r.Error(Join("lease", key), kNoLeaseWhy);
    }
    return r.Error("lease", kNoLeaseWhy);
  }
  if (YAML::Node redelivery = root["redelivery"]) {
    for (const char* key : {"initial_delay", "max_delay"}) {
      if (redelivery.IsMap() && redelivery[key]) return r.Error(Join("redelivery", key), kNoNackDelayWhy);
    }
    return r.Error("redelivery", kNoNackDelayWhy);
  }
  if (YAML::Node mode = root["ack_mode"]; mode && mode.IsScalar() && mode.Scalar() == "on-receipt") {
    return r.Error("ack_mode",
                   "on-receipt is a pull setting: a push request's answer is its ack, so acking on receipt would "
                   "answer before the backend is called, leave the work in the service unbounded and lose a "
                   "message that then fails, unseen");
  }
  if (YAML::Node fc = root["flow_control"]; fc && fc.IsMap() && fc["max_outstanding_bytes"]) {
    return r.Error("flow_control.max_outstanding_bytes", kNoBytesWhy);
  }
  YAML::Node backends = root["backends"];
  if (!backends || !backends.IsMap()) return absl::OkStatus();  // LoadRoot refuses it
  for (const auto& entry : backends) {
    if (!entry.first.IsScalar() || !entry.second.IsMap()) continue;  // LoadRoot refuses it
    YAML::Node cb = entry.second["circuit_breaker"];
    if (!cb || !cb.IsMap()) continue;
    const std::string path = Join(Join("backends", entry.first.Scalar()), "circuit_breaker");
    for (const char* key : {"max_hold", "max_held_messages"}) {
      if (cb[key]) return r.Error(Join(path, key), kNoHoldWhy);
    }
  }
  return absl::OkStatus();
}

// push.path: an absolute path without query, fragment, spaces or control characters.
absl::Status ValidatePushPath(const Reader& r, const std::string& path) {
  const std::string full = "push.path";
  if (path.empty() || path.front() != '/') {
    return r.Error(full, absl::StrCat("must start with '/', got '", absl::CEscape(path), "'"));
  }
  if (path.size() > kMaxPushPathBytes) {
    return r.Error(full, absl::StrCat("must be at most ", kMaxPushPathBytes, " bytes, got ", path.size()));
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return r.Error(full, "must not contain spaces or control characters");
  }
  if (absl::StrContains(path, '?')) return r.Error(full, "must not contain a query ('?')");
  if (absl::StrContains(path, '#')) return r.Error(full, "must not contain a fragment ('#')");
  return absl::OkStatus();
}

absl::Status LoadPushOidc(const Reader& r, const YAML::Node& node, const std::string& path,
                          PushOidcConfig& oidc) {
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(node, path, {"audience", "service_accounts", "jwks_url", "jwks_file"}));
  const std::string audience_key = Join(path, "audience");
  if (!node["audience"]) {
    return r.Error(audience_key, "is required (the audience the push subscription's OIDC token carries)");
  }
  SCHEDSVC_RETURN_IF_ERROR(r.String(node, "audience", path, oidc.audience));
  if (oidc.audience.empty()) return r.Error(audience_key, "must not be empty");
  if (std::any_of(oidc.audience.begin(), oidc.audience.end(), IsControlChar)) {
    return r.Error(audience_key, "must not contain control characters");
  }
  const std::string accounts_key = Join(path, "service_accounts");
  YAML::Node accounts = node["service_accounts"];
  if (!accounts) {
    return r.Error(accounts_key, "is required (the e-mails of the service accounts allowed to push)");
  }
  if (!accounts.IsSequence() || accounts.size() == 0) {
    return r.Error(accounts_key, "must be a non-empty list of service account e-mails");
  }
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const std::string item = absl::StrCat(accounts_key, "[", i, "]");
    auto email = r.Scalar(accounts[i], item);
    if (!email.ok()) return email.status();
    const std::size_t at = email->find('@');
    if (at == std::string::npos || at == 0 || at + 1 == email->size() ||
        std::any_of(email->begin(), email->end(), [](char c) { return IsControlChar(c) || c == ' '; })) {
      return r.Error(item, absl::StrCat("must be an e-mail address, got '", absl::CEscape(*email), "'"));
    }
    oidc.service_accounts.push_back(*std::move(email));
  }
  if (node["jwks_url"] && node["jwks_file"]) {
    return r.Error(path, "set either jwks_url or jwks_file, not both");
  }
  if (node["jwks_file"]) {
    const std::string full = Join(path, "jwks_file");
    SCHEDSVC_RETURN_IF_ERROR(r.String(node, "jwks_file", path, oidc.jwks_file));
    SCHEDSVC_RETURN_IF_ERROR(r.CredentialFile(full, oidc.jwks_file));
    // The file replaces the URL: nothing is fetched.
    oidc.jwks_url.clear();
  } else {
    const std::string full = Join(path, "jwks_url");
    SCHEDSVC_RETURN_IF_ERROR(r.String(node, "jwks_url", path, oidc.jwks_url));
    SCHEDSVC_RETURN_IF_ERROR(ValidateUrl(r, full, oidc.jwks_url));
    if (!absl::StartsWith(oidc.jwks_url, "https://")) {
      return r.Error(full, "must start with https:// (the signing keys must come over a verified connection)");
    }
  }
  return absl::OkStatus();
}

absl::Status LoadPush(const Reader& r, const YAML::Node& node, PushConfig& push) {
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(node, "push", {"listen", "path", "ack_deadline", "auth"}));
  SCHEDSVC_RETURN_IF_ERROR(r.String(node, "listen", "push", push.listen));
  SCHEDSVC_RETURN_IF_ERROR(ValidateListen(r, "push.listen", push.listen));
  SCHEDSVC_RETURN_IF_ERROR(r.String(node, "path", "push", push.path));
  SCHEDSVC_RETURN_IF_ERROR(ValidatePushPath(r, push.path));
  SCHEDSVC_RETURN_IF_ERROR(r.Duration(node, "ack_deadline", "push", pubsub::kMinAckDeadline,
                                      pubsub::kMaxAckDeadline, false, push.ack_deadline));
  if (push.ack_deadline != absl::Seconds(absl::ToInt64Seconds(push.ack_deadline))) {
    return r.Error("push.ack_deadline",
                   absl::StrCat("must be whole seconds (it is the subscription's ackDeadlineSeconds), got ",
                                FormatDurationText(push.ack_deadline)));
  }
  YAML::Node auth = node["auth"];
  if (!auth) {
    return r.Error("push.auth",
                   "is required: set push.auth.oidc (verify Pub/Sub's token), or push.auth: none explicitly");
  }
  if (auth.IsScalar()) {
    if (auth.Scalar() != "none") {
      return r.Error("push.auth",
                     absl::StrCat("must be none or a mapping with oidc, got '", absl::CEscape(auth.Scalar()), "'"));
    }
    push.auth = PushAuthKind::kNone;
    return absl::OkStatus();
  }
  if (auth.IsNull()) {
    return r.Error("push.auth", "needs a value: set push.auth.oidc, or push.auth: none explicitly");
  }
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(auth, "push.auth", {"oidc"}));
  if (!auth["oidc"]) return r.Error("push.auth.oidc", "is required (or push.auth: none explicitly)");
  push.auth = PushAuthKind::kOidc;
  return LoadPushOidc(r, auth["oidc"], "push.auth.oidc", push.oidc);
}

// ingest: pull (default) or push; `push` only with push.
absl::Status LoadIngest(const Reader& r, const YAML::Node& root, ServiceConfig& c) {
  std::string ingest;
  SCHEDSVC_RETURN_IF_ERROR(r.String(root, "ingest", "", ingest));
  if (ingest.empty() || ingest == "pull") {
    c.ingest = IngestMode::kPull;
  } else if (ingest == "push") {
    c.ingest = IngestMode::kPush;
  } else {
    return r.Error("ingest", absl::StrCat("must be pull or push, got '", ingest, "'"));
  }
  YAML::Node push = root["push"];
  if (c.ingest == IngestMode::kPull) {
    if (push) return r.Error("push", "is only valid with ingest: push (this file pulls: ingest is pull by default)");
    return absl::OkStatus();
  }
  if (!push) {
    return r.Error("push",
                   "is required with ingest: push (at least push.auth: set push.auth.oidc, or push.auth: none "
                   "explicitly)");
  }
  return LoadPush(r, push, c.push);
}

absl::Status LoadRoot(const Reader& r, const YAML::Node& root, ServiceConfig& c) {
  if (!root.IsDefined() || root.IsNull()) return r.Error("", "is empty");
  SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(
      root, "",
      {"project", "subscription", "streams", "flow_control", "ack_mode", "lease",
       "dead_letter_topic", "admin", "shutdown_grace", "routing", "backends", "log_level",
       "redelivery", "ingest", "push"}));
  SCHEDSVC_RETURN_IF_ERROR(LoadIngest(r, root, c));
  if (c.ingest == IngestMode::kPush) SCHEDSVC_RETURN_IF_ERROR(CheckPushOnlyKeys(r, root));
  SCHEDSVC_RETURN_IF_ERROR(r.String(root, "project", "", c.project));
  if (!c.project.empty()) {
    if (absl::Status st = pubsub::ValidateProjectId(c.project); !st.ok()) {
      return r.Error("project", st.message());
    }
  }

  if (!root["subscription"]) return r.Error("subscription", "is required");
  SCHEDSVC_RETURN_IF_ERROR(r.String(root, "subscription", "", c.subscription));
  auto subscription = pubsub::ResolveSubscriptionName(c.subscription, c.project);
  if (!subscription.ok()) return r.Error("subscription", subscription.status().message());
  c.subscription = *std::move(subscription);

  SCHEDSVC_RETURN_IF_ERROR(r.Integer(root, "streams", "", kMinStreams, kMaxStreams, c.streams));
  if (YAML::Node fc = root["flow_control"]) {
    SCHEDSVC_RETURN_IF_ERROR(
        r.CheckMap(fc, "flow_control", {"max_outstanding_messages", "max_outstanding_bytes"}));
    SCHEDSVC_RETURN_IF_ERROR(r.Integer(fc, "max_outstanding_messages", "flow_control",
                                       std::int64_t{1}, kMaxInt64, c.max_outstanding_messages));
    SCHEDSVC_RETURN_IF_ERROR(r.Integer(fc, "max_outstanding_bytes", "flow_control", std::int64_t{1},
                                       kMaxInt64, c.max_outstanding_bytes));
  }

  std::string ack_mode;
  SCHEDSVC_RETURN_IF_ERROR(r.String(root, "ack_mode", "", ack_mode));
  if (ack_mode == "on-receipt") {
    c.ack_mode = AckMode::kOnReceipt;
  } else if (ack_mode.empty() || ack_mode == "after-success") {
    c.ack_mode = AckMode::kAfterSuccess;
  } else {
    return r.Error("ack_mode",
                   absl::StrCat("must be after-success or on-receipt, got '", ack_mode, "'"));
  }

  if (YAML::Node lease = root["lease"]) {
    SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(lease, "lease", {"max_extension", "extension_step"}));
    SCHEDSVC_RETURN_IF_ERROR(r.Duration(lease, "max_extension", "lease", kMinLeaseExtension,
                                        kMaxLeaseExtension, false, c.lease_max_extension));
    SCHEDSVC_RETURN_IF_ERROR(r.Duration(lease, "extension_step", "lease", kMinExtensionStep,
                                        kMaxExtensionStep, false, c.lease_extension_step));
  }

  if (YAML::Node redelivery = root["redelivery"]) {
    SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(redelivery, "redelivery", {"initial_delay", "max_delay"}));
    SCHEDSVC_RETURN_IF_ERROR(r.Duration(redelivery, "initial_delay", "redelivery", kMinRedeliveryDelay,
                                        kMaxRedeliveryDelay, false, c.redelivery.initial_delay));
    SCHEDSVC_RETURN_IF_ERROR(r.Duration(redelivery, "max_delay", "redelivery", kMinRedeliveryDelay,
                                        kMaxRedeliveryDelay, false, c.redelivery.max_delay));
  }
  if (c.redelivery.max_delay < c.redelivery.initial_delay) {
    return r.Error("redelivery.max_delay",
                   absl::StrCat("must be at least redelivery.initial_delay (",
                                FormatDurationText(c.redelivery.initial_delay), "), got ",
                                FormatDurationText(c.redelivery.max_delay)));
  }

  SCHEDSVC_RETURN_IF_ERROR(r.String(root, "dead_letter_topic", "", c.dead_letter_topic));
  if (!c.dead_letter_topic.empty()) {
    // A bare id takes `project`, else the subscription's project: the dead-letter topic normally
    // lives beside the subscription.
    std::string project = c.project;
    if (project.empty()) {
      auto parsed = pubsub::ParseSubscriptionName(c.subscription);
      if (parsed.ok()) project = parsed->project;
    }
    auto topic = pubsub::ResolveTopicName(c.dead_letter_topic, project);
    if (!topic.ok()) return r.Error("dead_letter_topic", topic.status().message());
    c.dead_letter_topic = *std::move(topic);
  }

  if (YAML::Node admin = root["admin"]) {
    SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(admin, "admin", {"listen", "recent_deliveries"}));
    SCHEDSVC_RETURN_IF_ERROR(r.String(admin, "listen", "admin", c.admin_listen));
    SCHEDSVC_RETURN_IF_ERROR(
        r.Integer(admin, "recent_deliveries", "admin", 0, kMaxRecentDeliveries, c.admin_recent_deliveries));
  }
  SCHEDSVC_RETURN_IF_ERROR(ValidateListen(r, "admin.listen", c.admin_listen));

  SCHEDSVC_RETURN_IF_ERROR(r.Duration(root, "shutdown_grace", "", absl::ZeroDuration(),
                                      kMaxShutdownGrace, false, c.shutdown_grace));

  if (YAML::Node routing = root["routing"]) {
    SCHEDSVC_RETURN_IF_ERROR(r.CheckMap(routing, "routing", {"attribute", "default_backend"}));
    SCHEDSVC_RETURN_IF_ERROR(r.String(routing, "attribute", "routing", c.routing_attribute));
    SCHEDSVC_RETURN_IF_ERROR(r.String(routing, "default_backend", "routing", c.default_backend));
  }
  if (c.routing_attribute.empty()) return r.Error("routing.attribute", "must not be empty");

  SCHEDSVC_RETURN_IF_ERROR(r.String(root, "log_level", "", c.log_level));
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" &&
      c.log_level != "error") {
    return r.Error("log_level",
                   absl::StrCat("must be debug, info, warning or error, got '", c.log_level, "'"));
  }

  YAML::Node backends = root["backends"];
  if (!backends) return r.Error("backends", "is required (at least one backend)");
  if (!backends.IsMap() || backends.size() == 0) {
    return r.Error("backends", "must be a mapping of backend names to backend settings");
  }
  std::set<std::string> names;
  for (const auto& entry : backends) {
    if (!entry.first.IsScalar()) return r.Error("backends", "backend names must be plain strings");
    BackendConfig b;
    b.name = entry.first.Scalar();
    const std::string path = Join("backends", b.name);
    if (b.name.empty()) return r.Error("backends", "backend names must not be empty");
    for (char ch : b.name) {
      if (!IsBackendNameChar(ch)) {
        return r.Error(path, "backend names may only use letters, digits, '-', '_' and '.'");
      }
    }
    if (!names.insert(b.name).second) return r.Error(path, "duplicate backend");
    if (entry.second.IsNull()) return r.Error(path, "needs settings (at least url)");
    SCHEDSVC_RETURN_IF_ERROR(LoadBackend(r, entry.second, path, b));
    c.backends.push_back(std::move(b));
  }
  if (!c.default_backend.empty() && names.count(c.default_backend) == 0) {
    return r.Error("routing.default_backend",
                   absl::StrCat("names no backend: '", c.default_backend, "' (backends: ",
                                absl::StrJoin(names, ", "), ")"));
  }
  if (c.ingest == IngestMode::kPush) {
    if (c.push.listen == c.admin_listen) {
      return r.Error("push.listen", absl::StrCat("must differ from admin.listen (", c.admin_listen, ")"));
    }
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

#undef SCHEDSVC_RETURN_IF_ERROR

}  // namespace

absl::StatusOr<ServiceConfig> LoadServiceConfigFromString(const std::string& yaml_text,
                                                          const std::string& display_name,
                                                          const std::string& base_dir) {
  Reader reader(display_name, base_dir);
  // yaml-cpp reports syntax errors (and some access errors) by throwing; convert them here.
  try {
    YAML::Node root = YAML::Load(yaml_text);
    ServiceConfig config;
    if (absl::Status st = LoadRoot(reader, root, config); !st.ok()) return st;
    return config;
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return reader.Error("", absl::StrCat("invalid YAML: ", e.msg));
    return reader.Error("", absl::StrCat("invalid YAML at line ", e.mark.line + 1, ", column ",
                                         e.mark.column + 1, ": ", e.msg));
  }
}

absl::StatusOr<ServiceConfig> LoadServiceConfig(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read: not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = absl::StrCat(path, ": cannot read: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(why);
    if (err == EACCES) return absl::PermissionDeniedError(why);
    return absl::InvalidArgumentError(why);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadServiceConfigFromString(text.str(), path, DirectoryOf(path));
}

}  // namespace schedsvc::config
