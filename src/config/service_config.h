// ServiceConfig: everything schedule-service is configured with, as validated plain structs. The YAML
// file becomes this in one place (config_loader.h); every other component takes the part it needs.
// Field comments give the YAML key, the default and the valid range. See docs/configuration.md.
#ifndef SCHEDSVC_CONFIG_SERVICE_CONFIG_H_
#define SCHEDSVC_CONFIG_SERVICE_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace schedsvc::config {

enum class AckMode {
  kAfterSuccess,  // "after-success": at-least-once (default)
  kOnReceipt,     // "on-receipt": at-most-once; a crash loses the message
};

enum class AuthKind { kNone, kBasic, kBearer };

// ingest: how messages reach the service.
enum class IngestMode {
  kPull,  // "pull" (default): StreamingPull on `subscription`
  kPush,  // "push": Pub/Sub POSTs each message to `push.listen` + `push.path` (a push subscription)
};

struct AuthConfig {
  AuthKind kind = AuthKind::kNone;
  // auth.basic.username_file / auth.basic.password_file: files holding the credentials (re-read when
  // they change). Required for kBasic.
  std::string username_file;
  std::string password_file;
  // auth.bearer.token_file. Required for kBearer.
  std::string token_file;
};

struct RetryConfig {
  // retry.max_attempts: HTTP attempts per delivery of a message; when reached the message is nacked
  // with the redelivery delay. Default 0 = no attempt limit (retry on backoff while the message's
  // budget lasts); 0 or 1-100.
  int max_attempts = 0;
  // retry.initial_backoff. Default 1s; > 0.
  absl::Duration initial_backoff = absl::Seconds(1);
  // retry.max_backoff. Default 60s; >= initial_backoff.
  absl::Duration max_backoff = absl::Seconds(60);
  // retry.multiplier. Default 2.0; >= 1.
  double multiplier = 2.0;
};

struct CircuitBreakerConfig {
  // circuit_breaker.enabled. Default true.
  bool enabled = true;
  // circuit_breaker.failure_rate_threshold: fraction of failed attempts in the window that opens the
  // circuit. Default 0.5; (0, 1].
  double failure_rate_threshold = 0.5;
  // circuit_breaker.minimum_requests: attempts in the window before the rate counts. Default 10; >= 1.
  int minimum_requests = 10;
  // circuit_breaker.window: sliding window for the failure rate. Default 30s; > 0.
  absl::Duration window = absl::Seconds(30);
  // circuit_breaker.open_duration: time open before a half-open probe. Default 15s; > 0.
  absl::Duration open_duration = absl::Seconds(15);
  // circuit_breaker.half_open_probes: successful probes that close it again. Default 1; >= 1.
  int half_open_probes = 1;
  // circuit_breaker.max_hold: how long a message may wait leased while the circuit is open before it
  // is nacked with the redelivery delay. Default 0 = as long as the message's budget lasts; >= 0.
  absl::Duration max_hold = absl::ZeroDuration();
  // circuit_breaker.max_held_messages: messages held at once per backend; further ones are nacked with the
  // redelivery delay, which spends one of their delivery attempts. Default 0 = no bound of its own: held
  // messages count against flow_control.max_outstanding_messages like any other, so when the hold is full
  // the subscriber stops pulling and the rest wait in Pub/Sub, spending nothing. A bound keeps room for
  // the other backends of a pod at the price of those attempts; >= 0.
  int max_held_messages = 0;
  // circuit_breaker.consecutive_failures: retryable failures in a row (whatever the request rate) that
  // open the circuit; any success resets the count. Default 10 (with many requests in flight to a backend
  // failing a third of them, 5 in a row happen every few hundred requests; 10 in a row practically never,
  // and a lone message is retried for its whole budget anyway); 0 disables this rule, else 1-1000.
  int consecutive_failures = 10;
};

// When the service hands a message back to Pub/Sub for a retryable cause (budget spent, attempt cap,
// circuit open and the hold full or over max_hold), the nack delay grows with Pub/Sub's delivery
// attempt k: min(max_delay, initial_delay * 2^(k-1)) (src/dispatch/redelivery_delay.h), so the
// subscription's maxDeliveryAttempts spans a long outage rather than seconds.
struct RedeliveryConfig {
  // redelivery.initial_delay: nack delay at delivery attempt 1. Default 60s; 1s-600s.
  absl::Duration initial_delay = absl::Seconds(60);
  // redelivery.max_delay: the delay's cap. Default 600s; initial_delay-600s (Pub/Sub's largest
  // ModifyAckDeadline).
  absl::Duration max_delay = absl::Seconds(600);
};

// What the gateway in front of the backend (e.g. Kong) does on its own; used by the time budget.
struct GatewayConfig {
  // gateway.timeout: the gateway's upstream timeout. Default 0 (no gateway).
  absl::Duration timeout = absl::ZeroDuration();
  // gateway.retries: retries the gateway makes after the first try. Default 0; 0-100.
  int retries = 0;
  // gateway.retry_delays: delay before each gateway retry (length <= retries; missing ones are 0).
  std::vector<absl::Duration> retry_delays;
};

struct BackendConfig {
  // The key under `backends:`; the value of the routing attribute that selects this backend.
  std::string name;
  // url: base URL, http:// or https://, no query or fragment. Required.
  std::string url;
  AuthConfig auth;
  // headers: static headers added to every request (not Authorization).
  std::map<std::string, std::string> headers;
  // timeout: per-attempt HTTP timeout. Default 30s; > 0.
  absl::Duration timeout = absl::Seconds(30);
  RetryConfig retry;
  // max_concurrency: concurrent requests to this backend. Default 64; 1-10000.
  int max_concurrency = 64;
  CircuitBreakerConfig circuit_breaker;
  GatewayConfig gateway;
  // max_body_bytes: largest message body sent. Default 1 MiB; 1 B - 10 MB.
  std::int64_t max_body_bytes = 1 << 20;
  // tls_verify: verify HTTPS certificates against the system CA store. Default true.
  bool tls_verify = true;
};

// push.auth.oidc: verification of the OIDC token Pub/Sub attaches to each push request.
struct PushOidcConfig {
  // push.auth.oidc.audience: the `aud` the push subscription's token must carry. Required.
  std::string audience;
  // push.auth.oidc.service_accounts: e-mails of the service accounts allowed to push (`email` claim,
  // with `email_verified`). At least one.
  std::vector<std::string> service_accounts;
  // push.auth.oidc.jwks_url: where the signing keys (JWKS) are fetched over HTTPS. Default Google's
  // public OAuth2 certificates. Exclusive with jwks_file.
  std::string jwks_url = "https://www.googleapis.com/oauth2/v3/certs";
  // push.auth.oidc.jwks_file: a JWKS file read instead of jwks_url (re-read when it changes).
  std::string jwks_file;
};

enum class PushAuthKind {
  kOidc,  // push.auth.oidc: every request must carry a valid token (the default: `auth` is required)
  kNone,  // push.auth: none: no verification (logged as a warning at start)
};

// push: only with `ingest: push`.
struct PushConfig {
  // push.listen: host:port the push endpoint listens on. Default 0.0.0.0:8080.
  std::string listen = "0.0.0.0:8080";
  // push.path: the endpoint's path. Default /pubsub/push.
  std::string path = "/pubsub/push";
  // push.ack_deadline: the push subscription's ackDeadlineSeconds: the whole budget of one delivery (the
  // answer is sent a margin before it). Default 60s; 10s-600s.
  absl::Duration ack_deadline = absl::Seconds(60);
  PushAuthKind auth = PushAuthKind::kOidc;
  PushOidcConfig oidc;
};

struct ServiceConfig {
  // ingest: "pull" (default) or "push".
  IngestMode ingest = IngestMode::kPull;
  // push: the push endpoint; only with ingest: push.
  PushConfig push;
  // project: default project for ids below. Optional if names are full.
  std::string project;
  // subscription: "projects/P/subscriptions/S", or an id with `project`. Required.
  std::string subscription;
  // streams: StreamingPull streams. Default 4; 1-64.
  int streams = 4;
  // flow_control.max_outstanding_messages. Default 1000; >= 1.
  std::int64_t max_outstanding_messages = 1000;
  // flow_control.max_outstanding_bytes. Default 100 MiB; >= 1.
  std::int64_t max_outstanding_bytes = 100LL << 20;
  // ack_mode: "after-success" (default) or "on-receipt".
  AckMode ack_mode = AckMode::kAfterSuccess;
  // lease.max_extension: longest a message is kept leased. Default 60m; 10s-24h.
  absl::Duration lease_max_extension = absl::Minutes(60);
  // lease.extension_step: each ModifyAckDeadline extension. Default 60s; 10s-600s.
  absl::Duration lease_extension_step = absl::Seconds(60);
  // redelivery: nack delays for retryable causes.
  RedeliveryConfig redelivery;
  // dead_letter_topic: "projects/P/topics/T" or id with `project`. Optional (then permanent failures
  // are nacked with a delay and logged).
  std::string dead_letter_topic;
  // admin.listen: host:port of /healthz, /readyz, /metrics, /debug/deliveries. Default 127.0.0.1:9090.
  std::string admin_listen = "127.0.0.1:9090";
  // admin.recent_deliveries: deliveries kept for the admin port's /debug/deliveries. Default 256; 0-10000
  // (0 = none kept, the endpoint answers 404).
  int admin_recent_deliveries = 256;
  // shutdown_grace: time in-flight work gets after SIGTERM. Default 25s; 0-10m.
  absl::Duration shutdown_grace = absl::Seconds(25);
  // routing.attribute: message attribute naming the backend. Default "backend".
  std::string routing_attribute = "backend";
  // routing.default_backend: backend for messages without the attribute. Optional.
  std::string default_backend;
  // backends: at least one.
  std::vector<BackendConfig> backends;
  // log_level: debug, info, warning, error. Default info.
  std::string log_level = "info";
};

}  // namespace schedsvc::config

#endif  // SCHEDSVC_CONFIG_SERVICE_CONFIG_H_
