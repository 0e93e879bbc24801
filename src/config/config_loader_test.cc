#include "src/config/config_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::config {
namespace {

using ::testing::HasSubstr;

constexpr char kFile[] = "config.yaml";
constexpr char kSecretPassword[] = "s3cr3t-Passw0rd";

// A per-test directory holding credential files, so relative paths resolve against it.
class ConfigLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/config_loader_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ::mkdir(dir_.c_str(), 0700);
    Write("user", "demo");
    Write("pass", kSecretPassword);
    Write("token", "tok");
  }

  void Write(const std::string& name, const std::string& content) {
    std::ofstream(absl::StrCat(dir_, "/", name)) << content;
  }

  absl::StatusOr<ServiceConfig> Load(const std::string& yaml) {
    return LoadServiceConfigFromString(yaml, kFile, dir_);
  }

  // Expects `yaml` to be refused with exactly "config.yaml: <key>: <why...>".
  void ExpectError(const std::string& yaml, const std::string& key, const std::string& why) {
    auto config = Load(yaml);
    ASSERT_FALSE(config.ok()) << "accepted:\n" << yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(config.status().message()),
                HasSubstr(absl::StrCat(kFile, ": ", key, ": ", why)))
        << yaml;
  }

  std::string dir_;
};

constexpr char kMinimal[] = R"(
subscription: projects/p1/subscriptions/orders-sub
backends:
  orders:
    url: https://orders.example.com/api
)";

// Minimal config with `extra` inserted under the orders backend (indent 4).
std::string WithBackendKeys(const std::string& extra) {
  return absl::StrCat(
      "subscription: projects/p1/subscriptions/orders-sub\n"
      "backends:\n"
      "  orders:\n"
      "    url: https://orders.example.com/api\n",
      extra);
}

TEST_F(ConfigLoaderTest, MinimalFileGetsDocumentedDefaults) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->subscription, "projects/p1/subscriptions/orders-sub");
  EXPECT_EQ(config->streams, 4);
  EXPECT_EQ(config->ack_mode, AckMode::kAfterSuccess);
  EXPECT_EQ(config->lease_max_extension, absl::Minutes(60));
  EXPECT_EQ(config->admin_listen, "127.0.0.1:9090");
  EXPECT_EQ(config->admin_recent_deliveries, 256);
  EXPECT_EQ(config->routing_attribute, "backend");
  ASSERT_EQ(config->backends.size(), 1u);
  const BackendConfig& b = config->backends[0];
  EXPECT_EQ(b.name, "orders");
  EXPECT_EQ(b.timeout, absl::Seconds(30));
  EXPECT_EQ(b.retry.max_attempts, 0);  // no attempt limit: retries last as long as the budget
  EXPECT_EQ(b.circuit_breaker.max_hold, absl::ZeroDuration());  // hold as long as the budget
  EXPECT_EQ(b.circuit_breaker.consecutive_failures, 10);
  EXPECT_EQ(config->redelivery.initial_delay, absl::Seconds(60));
  EXPECT_EQ(config->redelivery.max_delay, absl::Seconds(600));
  EXPECT_EQ(b.auth.kind, AuthKind::kNone);
  EXPECT_EQ(b.gateway.timeout, absl::ZeroDuration());
  EXPECT_TRUE(b.tls_verify);
}

TEST_F(ConfigLoaderTest, FullFileIsLoadedIntoEveryField) {
  const std::string yaml = R"(
project: my-project
subscription: schedule-service
streams: 8
flow_control:
  max_outstanding_messages: 500
  max_outstanding_bytes: 1048576
ack_mode: on-receipt
lease:
  max_extension: 30m
  extension_step: 2m
redelivery:
  initial_delay: 30s
  max_delay: 5m
dead_letter_topic: schedule-service-dead-letter
admin:
  listen: 0.0.0.0:9191
  recent_deliveries: 1000
shutdown_grace: 40s
routing:
  attribute: target
  default_backend: orders
log_level: debug
backends:
  orders:
    url: http://orders.internal:8080/v1
    auth:
      basic:
        username_file: user
        password_file: pass
    headers:
      X-Team: scheduling
    timeout: 20m
    retry:
      max_attempts: 5
      initial_backoff: 500ms
      max_backoff: 2m
      multiplier: 3
    max_concurrency: 16
    circuit_breaker:
      enabled: false
      failure_rate_threshold: 0.25
      minimum_requests: 20
      window: 1m
      open_duration: 45s
      half_open_probes: 2
      max_hold: 5m
      max_held_messages: 50
      consecutive_failures: 3
    gateway:
      timeout: 6m
      retries: 2
      retry_delays: [10s, 20s]
    max_body_bytes: 4096
    tls_verify: false
  billing:
    url: https://billing.example.com
    auth:
      bearer:
        token_file: token
)";
  auto config = Load(yaml);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->project, "my-project");
  EXPECT_EQ(config->subscription, "projects/my-project/subscriptions/schedule-service");
  EXPECT_EQ(config->streams, 8);
  EXPECT_EQ(config->max_outstanding_messages, 500);
  EXPECT_EQ(config->max_outstanding_bytes, 1048576);
  EXPECT_EQ(config->ack_mode, AckMode::kOnReceipt);
  EXPECT_EQ(config->lease_max_extension, absl::Minutes(30));
  EXPECT_EQ(config->lease_extension_step, absl::Minutes(2));
  EXPECT_EQ(config->redelivery.initial_delay, absl::Seconds(30));
  EXPECT_EQ(config->redelivery.max_delay, absl::Minutes(5));
  EXPECT_EQ(config->dead_letter_topic, "projects/my-project/topics/schedule-service-dead-letter");
  EXPECT_EQ(config->admin_listen, "0.0.0.0:9191");
  EXPECT_EQ(config->admin_recent_deliveries, 1000);
  EXPECT_EQ(config->shutdown_grace, absl::Seconds(40));
  EXPECT_EQ(config->routing_attribute, "target");
  EXPECT_EQ(config->default_backend, "orders");
  EXPECT_EQ(config->log_level, "debug");
  ASSERT_EQ(config->backends.size(), 2u);

  const BackendConfig& o = config->backends[0];
  EXPECT_EQ(o.name, "orders");
  EXPECT_EQ(o.url, "http://orders.internal:8080/v1");
  EXPECT_EQ(o.auth.kind, AuthKind::kBasic);
  EXPECT_EQ(o.auth.username_file, dir_ + "/user");
  EXPECT_EQ(o.auth.password_file, dir_ + "/pass");
  EXPECT_EQ(o.headers.at("X-Team"), "scheduling");
  EXPECT_EQ(o.timeout, absl::Minutes(20));
  EXPECT_EQ(o.retry.max_attempts, 5);
  EXPECT_EQ(o.retry.initial_backoff, absl::Milliseconds(500));
  EXPECT_EQ(o.retry.max_backoff, absl::Minutes(2));
  EXPECT_DOUBLE_EQ(o.retry.multiplier, 3.0);
  EXPECT_EQ(o.max_concurrency, 16);
  EXPECT_FALSE(o.circuit_breaker.enabled);
  EXPECT_DOUBLE_EQ(o.circuit_breaker.failure_rate_threshold, 0.25);
  EXPECT_EQ(o.circuit_breaker.minimum_requests, 20);
  EXPECT_EQ(o.circuit_breaker.window, absl::Minutes(1));
  EXPECT_EQ(o.circuit_breaker.open_duration, absl::Seconds(45));
  EXPECT_EQ(o.circuit_breaker.half_open_probes, 2);
  EXPECT_EQ(o.circuit_breaker.max_hold, absl::Minutes(5));
  EXPECT_EQ(o.circuit_breaker.max_held_messages, 50);
  EXPECT_EQ(o.circuit_breaker.consecutive_failures, 3);
  EXPECT_EQ(o.gateway.timeout, absl::Minutes(6));
  EXPECT_EQ(o.gateway.retries, 2);
  EXPECT_THAT(o.gateway.retry_delays, ::testing::ElementsAre(absl::Seconds(10), absl::Seconds(20)));
  EXPECT_EQ(o.max_body_bytes, 4096);
  EXPECT_FALSE(o.tls_verify);

  const BackendConfig& b = config->backends[1];
  EXPECT_EQ(b.name, "billing");
  EXPECT_EQ(b.auth.kind, AuthKind::kBearer);
  EXPECT_EQ(b.auth.token_file, dir_ + "/token");
}

TEST_F(ConfigLoaderTest, LoadsFromFileAndResolvesCredentialsNextToIt) {
  const std::string yaml = WithBackendKeys(
      "    auth:\n      basic:\n        username_file: user\n        password_file: pass\n");
  Write("config.yaml", yaml);
  auto config = LoadServiceConfig(dir_ + "/config.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->backends[0].auth.password_file, dir_ + "/pass");
}

TEST_F(ConfigLoaderTest, MissingFileIsNotFoundNamingThePath) {
  auto config = LoadServiceConfig(dir_ + "/absent.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("absent.yaml"));
}

TEST_F(ConfigLoaderTest, DirectoryIsNotAConfigFile) {
  auto config = LoadServiceConfig(dir_);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("not a regular file"));
}

TEST_F(ConfigLoaderTest, SyntaxErrorNamesLine) {
  auto config = Load("subscription: [unclosed\nbackends: {}\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("config.yaml: invalid YAML at line"));
}

TEST_F(ConfigLoaderTest, EmptyAndNonMappingFilesAreRefused) {
  auto empty = Load("");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("config.yaml: is empty"));
  auto list = Load("- a\n- b\n");
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(std::string(list.status().message()), HasSubstr("must be a mapping"));
}

TEST_F(ConfigLoaderTest, UnknownKeysAreErrorsAtEveryLevel) {
  ExpectError(absl::StrCat(kMinimal, "stream: 4\n"), "stream", "unknown key");
  ExpectError(WithBackendKeys("    retry:\n      max_attempt: 4\n"), "backends.orders.retry.max_attempt",
              "unknown key (allowed here: max_attempts, initial_backoff");
  ExpectError(WithBackendKeys("    gateway:\n      retry: 1\n"), "backends.orders.gateway.retry",
              "unknown key");
  ExpectError(absl::StrCat(kMinimal, "lease:\n  max_extention: 5m\n"), "lease.max_extention",
              "unknown key");
}

TEST_F(ConfigLoaderTest, DuplicateKeysAreErrors) {
  ExpectError(absl::StrCat(kMinimal, "streams: 2\nstreams: 3\n"), "streams", "duplicate key");
}

TEST_F(ConfigLoaderTest, RequiredKeys) {
  ExpectError("backends:\n  a:\n    url: http://x\n", "subscription", "is required");
  ExpectError("subscription: projects/p/subscriptions/sub\n", "backends", "is required");
  ExpectError("subscription: projects/p/subscriptions/sub\nbackends: {}\n", "backends",
              "must be a mapping of backend names");
  ExpectError("subscription: projects/p/subscriptions/sub\nbackends:\n  a:\n    timeout: 1s\n",
              "backends.a.url", "is required");
  ExpectError("subscription: projects/p/subscriptions/sub\nbackends:\n  a:\n", "backends.a",
              "needs settings");
}

TEST_F(ConfigLoaderTest, OutOfRangeNumbersNameKeyRangeAndValue) {
  ExpectError(WithBackendKeys("    retry:\n      max_attempts: 101\n"),
              "backends.orders.retry.max_attempts", "must be between 0 and 100, got 101");
  ExpectError(WithBackendKeys("    circuit_breaker:\n      consecutive_failures: 1001\n"),
              "backends.orders.circuit_breaker.consecutive_failures",
              "must be between 0 and 1000, got 1001");
  ExpectError(absl::StrCat(kMinimal, "streams: 65\n"), "streams", "must be between 1 and 64, got 65");
  ExpectError(WithBackendKeys("    max_concurrency: 0\n"), "backends.orders.max_concurrency",
              "must be between 1 and 10000, got 0");
  ExpectError(WithBackendKeys("    retry:\n      multiplier: 0.5\n"),
              "backends.orders.retry.multiplier", "must be between 1 and 100, got 0.5");
  ExpectError(WithBackendKeys("    circuit_breaker:\n      failure_rate_threshold: 0\n"),
              "backends.orders.circuit_breaker.failure_rate_threshold", "must be greater than 0");
  ExpectError(WithBackendKeys("    max_body_bytes: 20000000\n"), "backends.orders.max_body_bytes",
              "must be between 1 and 10000000");
  ExpectError(absl::StrCat(kMinimal, "flow_control:\n  max_outstanding_messages: 0\n"),
              "flow_control.max_outstanding_messages", "must be at least 1, got 0");
}

TEST_F(ConfigLoaderTest, WrongTypesAreErrors) {
  ExpectError(absl::StrCat(kMinimal, "streams: four\n"), "streams", "must be a whole number, got 'four'");
  ExpectError(absl::StrCat(kMinimal, "streams: [1, 2]\n"), "streams", "must be a single value");
  ExpectError(absl::StrCat(kMinimal, "streams:\n"), "streams", "needs a value");
  ExpectError(WithBackendKeys("    tls_verify: maybe\n"), "backends.orders.tls_verify",
              "must be true or false, got 'maybe'");
  ExpectError(WithBackendKeys("    headers: [a]\n"), "backends.orders.headers", "must be a mapping");
  ExpectError(WithBackendKeys("    gateway:\n      timeout: 1m\n      retries: 1\n      retry_delays: 5s\n"),
              "backends.orders.gateway.retry_delays", "must be a list");
}

TEST_F(ConfigLoaderTest, ZeroMeansUnlimitedForAttemptsHoldAndConsecutiveFailures) {
  auto config = Load(WithBackendKeys(
      "    retry:\n      max_attempts: 0\n"
      "    circuit_breaker:\n      max_hold: 0s\n      consecutive_failures: 0\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->backends[0].retry.max_attempts, 0);
  EXPECT_EQ(config->backends[0].circuit_breaker.max_hold, absl::ZeroDuration());
  EXPECT_EQ(config->backends[0].circuit_breaker.consecutive_failures, 0);
}

TEST_F(ConfigLoaderTest, RedeliveryDelaysAreRangeChecked) {
  ExpectError(absl::StrCat(kMinimal, "redelivery:\n  initial_delay: 500ms\n"), "redelivery.initial_delay",
              "must be between 1s and 10m, got 500ms");
  ExpectError(absl::StrCat(kMinimal, "redelivery:\n  max_delay: 11m\n"), "redelivery.max_delay",
              "must be between 1s and 10m, got 11m");
  ExpectError(absl::StrCat(kMinimal, "redelivery:\n  initial_delay: 2m\n  max_delay: 1m\n"),
              "redelivery.max_delay", "must be at least redelivery.initial_delay (2m), got 1m");
  ExpectError(absl::StrCat(kMinimal, "redelivery:\n  delay: 1m\n"), "redelivery.delay", "unknown key");
}

TEST_F(ConfigLoaderTest, DurationsAreParsedAndRangeChecked) {
  ExpectError(WithBackendKeys("    timeout: soon\n"), "backends.orders.timeout", "'soon' is not a duration");
  ExpectError(WithBackendKeys("    timeout: 0s\n"), "backends.orders.timeout",
              "must be between 1ms and 1h, got 0s");
  ExpectError(absl::StrCat(kMinimal, "lease:\n  max_extension: 5s\n"), "lease.max_extension",
              "must be between 10s and 24h, got 5s");
  ExpectError(absl::StrCat(kMinimal, "shutdown_grace: 11m\n"), "shutdown_grace",
              "must be between 0 and 10m, got 11m");
  ExpectError(WithBackendKeys("    retry:\n      initial_backoff: 10s\n      max_backoff: 5s\n"),
              "backends.orders.retry.max_backoff", "must be at least retry.initial_backoff (10s)");
  auto bare = Load(WithBackendKeys("    timeout: 90\n"));
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->backends[0].timeout, absl::Seconds(90));
}

TEST_F(ConfigLoaderTest, EnumsAreChecked) {
  ExpectError(absl::StrCat(kMinimal, "ack_mode: at-most-once\n"), "ack_mode",
              "must be after-success or on-receipt, got 'at-most-once'");
  ExpectError(absl::StrCat(kMinimal, "log_level: verbose\n"), "log_level", "must be debug, info");
}

TEST_F(ConfigLoaderTest, ResourceNamesAreResolvedAndValidated) {
  ExpectError("subscription: orders-sub\nbackends:\n  a:\n    url: http://x\n", "subscription", "");
  ExpectError("subscription: projects/p/subscriptions/goog-sub\nbackends:\n  a:\n    url: http://x\n",
              "subscription", "");
  ExpectError(absl::StrCat(kMinimal, "dead_letter_topic: 9lives\nproject: p1\n"), "dead_letter_topic",
              "");
  auto by_id = Load(absl::StrCat(kMinimal, "dead_letter_topic: orders-dead-letter\n"));
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->dead_letter_topic, "projects/p1/topics/orders-dead-letter");
  auto config = Load(absl::StrCat(kMinimal, "dead_letter_topic: projects/other/topics/dlq\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->dead_letter_topic, "projects/other/topics/dlq");
}

TEST_F(ConfigLoaderTest, DefaultBackendMustNameABackend) {
  ExpectError(absl::StrCat(kMinimal, "routing:\n  default_backend: order\n"),
              "routing.default_backend", "names no backend: 'order' (backends: orders)");
}

TEST_F(ConfigLoaderTest, UrlsMustBeHttpWithHostAndNoQueryOrFragment) {
  const auto with_url = [](const std::string& url) {
    return absl::StrCat("subscription: projects/p/subscriptions/sub\nbackends:\n  a:\n    url: \"",
                        url, "\"\n");
  };
  ExpectError(with_url("ftp://host/x"), "backends.a.url", "must start with http:// or https://");
  ExpectError(with_url("orders.example.com"), "backends.a.url", "must start with http://");
  ExpectError(with_url("https:///path"), "backends.a.url", "has no host");
  ExpectError(with_url("https://host/x?a=b"), "backends.a.url", "must not contain a query");
  ExpectError(with_url("https://host/x#frag"), "backends.a.url", "must not contain a fragment");
  ExpectError(with_url("https://host:99999/"), "backends.a.url", "has an invalid port");
  EXPECT_TRUE(Load(with_url("http://[::1]:8080/x")).ok());
}

TEST_F(ConfigLoaderTest, UrlWithCredentialsIsRefusedWithoutEchoingThem) {
  auto config = Load(absl::StrCat(
      "subscription: projects/p/subscriptions/sub\nbackends:\n  a:\n    url: https://bob:",
      kSecretPassword, "@host/\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("no credentials in URLs"));
  EXPECT_THAT(std::string(config.status().message()), ::testing::Not(HasSubstr(kSecretPassword)));
}

TEST_F(ConfigLoaderTest, WrongSchemeOrMalformedUrlNeverEchoesTheUserInfo) {
  for (const std::string& url : {absl::StrCat("ftp://u:", kSecretPassword, "@host/x"),
                                 absl::StrCat("HTTP://u:", kSecretPassword, "@host/x"),
                                 absl::StrCat("https//u:", kSecretPassword, "@host/x"),
                                 absl::StrCat("https://u:", kSecretPassword, "@/x"),
                                 absl::StrCat("https://u:pa/", kSecretPassword, "@host/x"),
                                 absl::StrCat("https://u:", kSecretPassword, "/x@host")}) {
    auto config = Load(absl::StrCat(
        "subscription: projects/p/subscriptions/sub\nbackends:\n  a:\n    url: \"", url, "\"\n"));
    ASSERT_FALSE(config.ok()) << url;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr("backends.a.url")) << url;
    EXPECT_THAT(std::string(config.status().message()), ::testing::Not(HasSubstr(kSecretPassword))) << url;
  }
}

TEST_F(ConfigLoaderTest, UrlsWithSpacesOrControlCharactersAreRefused) {
  const auto with_url = [](const std::string& url) {
    return absl::StrCat("subscription: projects/p/subscriptions/sub\nbackends:\n  a:\n    url: \"",
                        url, "\"\n");
  };
  ExpectError(with_url("https://host/a b"), "backends.a.url", "must not contain spaces or control characters");
  ExpectError(with_url("https://host/a\\tb"), "backends.a.url", "must not contain spaces or control characters");
  ExpectError(with_url("https://host/a\\r\\nX-Injected: 1"), "backends.a.url",
              "must not contain spaces or control characters");
}

TEST_F(ConfigLoaderTest, CredentialFilesMustExistAndBeReadable) {
  ExpectError(WithBackendKeys("    auth:\n      basic:\n        username_file: user\n"
                              "        password_file: nope\n"),
              "backends.orders.auth.basic.password_file", "cannot read '" + dir_ + "/nope'");
  ExpectError(WithBackendKeys("    auth:\n      basic:\n        username_file: user\n"),
              "backends.orders.auth.basic.password_file", "is required for basic auth");
  ExpectError(WithBackendKeys("    auth:\n      bearer:\n        token_file: .\n"),
              "backends.orders.auth.bearer.token_file", "'" + dir_ + "/.' is not a regular file");
  ExpectError(WithBackendKeys("    auth:\n      basic:\n        username_file: user\n"
                              "        password_file: pass\n      bearer:\n        token_file: token\n"),
              "backends.orders.auth", "set either basic or bearer, not both");
  if (::geteuid() != 0) {  // root reads anything, so this case only holds for other users
    const std::string unreadable = dir_ + "/pass";
    ::chmod(unreadable.c_str(), 0);
    ExpectError(WithBackendKeys("    auth:\n      basic:\n        username_file: user\n"
                                "        password_file: pass\n"),
                "backends.orders.auth.basic.password_file", "Permission denied");
  }
}

TEST_F(ConfigLoaderTest, CredentialContentsNeverAppearInErrors) {
  // A password file that is fine, followed by a later error: the message must not carry the secret.
  auto config = Load(WithBackendKeys("    auth:\n      basic:\n        username_file: user\n"
                                     "        password_file: pass\n    timeout: -1s\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), ::testing::Not(HasSubstr(kSecretPassword)));
}

TEST_F(ConfigLoaderTest, HeadersCannotCarryAuthorizationOrReservedNames) {
  ExpectError(WithBackendKeys("    headers:\n      Authorization: Basic x\n"),
              "backends.orders.headers.Authorization", "set credentials with auth");
  ExpectError(WithBackendKeys("    headers:\n      Idempotency-Key: x\n"),
              "backends.orders.headers.Idempotency-Key", "is set by the service");
  ExpectError(WithBackendKeys("    headers:\n      \"Bad Name\": x\n"),
              "backends.orders.headers.Bad Name", "is not a valid HTTP header name");
}

TEST_F(ConfigLoaderTest, HeaderValuesWithNulOrControlCharactersAreRefused) {
  // YAML double-quoted escapes put the raw bytes into the value.
  ExpectError(WithBackendKeys("    headers:\n      X-Team: \"a\\0b\"\n"), "backends.orders.headers.X-Team",
              "value must not contain line breaks, NUL or other control characters");
  ExpectError(WithBackendKeys("    headers:\n      X-Team: \"a\\r\\nX-Injected: 1\"\n"),
              "backends.orders.headers.X-Team",
              "value must not contain line breaks, NUL or other control characters");
  ExpectError(WithBackendKeys("    headers:\n      X-Team: \"a\\x1bb\"\n"), "backends.orders.headers.X-Team",
              "value must not contain line breaks, NUL or other control characters");
  ExpectError(WithBackendKeys("    headers:\n      X-Team: \"a\\x7fb\"\n"), "backends.orders.headers.X-Team",
              "value must not contain line breaks, NUL or other control characters");
  // A tab is allowed inside a field value (RFC 9110).
  auto tab = Load(WithBackendKeys("    headers:\n      X-Team: \"a\\tb\"\n"));
  ASSERT_TRUE(tab.ok()) << tab.status();
  EXPECT_EQ(tab->backends[0].headers.at("X-Team"), "a\tb");
}

TEST_F(ConfigLoaderTest, HeaderNamesWithNulOrControlCharactersAreRefusedAndShownEscaped) {
  // The name is part of the key path in the error; its control bytes appear escaped, never raw.
  ExpectError(WithBackendKeys("    headers:\n      \"X-A\\0B\": x\n"), "backends.orders.headers.X-A\\000B",
              "is not a valid HTTP header name");
  ExpectError(WithBackendKeys("    headers:\n      \"X-A\\r\\nB\": x\n"), "backends.orders.headers.X-A\\r\\nB",
              "is not a valid HTTP header name");
}

TEST_F(ConfigLoaderTest, BackendTimeoutBelowOneMillisecondIsRefused) {
  ExpectError(WithBackendKeys("    timeout: 1ns\n"), "backends.orders.timeout",
              "must be between 1ms and 1h, got 1ns");
  ExpectError(WithBackendKeys("    timeout: 999us\n"), "backends.orders.timeout",
              "must be between 1ms and 1h, got 999us");
  auto one_ms = Load(WithBackendKeys("    timeout: 1ms\n"));
  ASSERT_TRUE(one_ms.ok()) << one_ms.status();
  EXPECT_EQ(one_ms->backends[0].timeout, absl::Milliseconds(1));
}

TEST_F(ConfigLoaderTest, AbsurdlyLargeDurationsAreRefusedEverywhere) {
  constexpr char kHuge[] = "100000h";
  struct Case {
    std::string yaml;
    std::string key;
    std::string why;
  };
  const Case kCases[] = {
      {absl::StrCat("    timeout: ", kHuge, "\n"), "backends.orders.timeout", "must be between 1ms and 1h"},
      {absl::StrCat("    retry:\n      initial_backoff: ", kHuge, "\n"), "backends.orders.retry.initial_backoff",
       "must be greater than 0 and at most 1h"},
      {absl::StrCat("    retry:\n      max_backoff: ", kHuge, "\n"), "backends.orders.retry.max_backoff",
       "must be greater than 0 and at most 1h"},
      {absl::StrCat("    circuit_breaker:\n      window: ", kHuge, "\n"), "backends.orders.circuit_breaker.window",
       "must be greater than 0 and at most 1h"},
      {absl::StrCat("    circuit_breaker:\n      open_duration: ", kHuge, "\n"),
       "backends.orders.circuit_breaker.open_duration", "must be greater than 0 and at most 1h"},
      {absl::StrCat("    circuit_breaker:\n      max_hold: ", kHuge, "\n"),
       "backends.orders.circuit_breaker.max_hold", "must be between 0 and 24h"},
      {absl::StrCat("    gateway:\n      timeout: ", kHuge, "\n"), "backends.orders.gateway.timeout",
       "must be between 0 and 1h"},
      {absl::StrCat("    gateway:\n      timeout: 6m\n      retries: 1\n      retry_delays: [", kHuge, "]\n"),
       "backends.orders.gateway.retry_delays[0]", "must be between 0 and 1h"},
  };
  for (const Case& c : kCases) ExpectError(WithBackendKeys(c.yaml), c.key, c.why);
  // The bounds themselves are accepted.
  auto at_bounds = Load(WithBackendKeys(
      "    timeout: 1h\n    retry:\n      initial_backoff: 1h\n      max_backoff: 1h\n"
      "    circuit_breaker:\n      window: 1h\n      open_duration: 1h\n      max_hold: 24h\n"
      "    gateway:\n      timeout: 1h\n      retries: 1\n      retry_delays: [1h]\n"));
  ASSERT_TRUE(at_bounds.ok()) << at_bounds.status();
}

TEST_F(ConfigLoaderTest, GatewayRetryDelaysMayNotOutnumberRetries) {
  ExpectError(WithBackendKeys("    gateway:\n      timeout: 6m\n      retries: 2\n"
                              "      retry_delays: [0s, 10s, 20s]\n"),
              "backends.orders.gateway.retry_delays",
              "has 3 entries but gateway.retries is 2 (one delay per retry at most)");
  ExpectError(WithBackendKeys("    gateway:\n      retries: 2\n"), "backends.orders.gateway.timeout",
              "is required when gateway.retries is set");
  ExpectError(WithBackendKeys("    gateway:\n      timeout: 6m\n      retries: 101\n"),
              "backends.orders.gateway.retries", "must be between 0 and 100, got 101");
}

TEST_F(ConfigLoaderTest, AdminRecentDeliveriesIsCheckedAndZeroDisablesIt) {
  auto off = Load(absl::StrCat(kMinimal, "admin:\n  recent_deliveries: 0\n"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->admin_recent_deliveries, 0);
  auto most = Load(absl::StrCat(kMinimal, "admin:\n  recent_deliveries: 10000\n"));
  ASSERT_TRUE(most.ok()) << most.status();
  EXPECT_EQ(most->admin_recent_deliveries, 10000);
  ExpectError(absl::StrCat(kMinimal, "admin:\n  recent_deliveries: 10001\n"), "admin.recent_deliveries",
              "must be between 0 and 10000, got 10001");
  ExpectError(absl::StrCat(kMinimal, "admin:\n  recent_deliveries: -1\n"), "admin.recent_deliveries",
              "must be between 0 and 10000, got -1");
  ExpectError(absl::StrCat(kMinimal, "admin:\n  recent_deliveries: lots\n"), "admin.recent_deliveries",
              "must be a whole number, got 'lots'");
  ExpectError(absl::StrCat(kMinimal, "admin:\n  recent_deliveries: [1]\n"), "admin.recent_deliveries",
              "must be a single value");
}

TEST_F(ConfigLoaderTest, BackendNamesAndAdminListenAreChecked) {
  ExpectError("subscription: projects/p/subscriptions/sub\nbackends:\n  \"a b\":\n    url: http://x\n",
              "backends.a b", "backend names may only use");
  ExpectError(absl::StrCat(kMinimal, "admin:\n  listen: localhost\n"), "admin.listen",
              "must be host:port, got 'localhost'");
  ExpectError(absl::StrCat(kMinimal, "admin:\n  listen: 127.0.0.1:70000\n"), "admin.listen",
              "port must be between 0 and 65535");
  ExpectError(absl::StrCat(kMinimal, "routing:\n  attribute: \"\"\n"), "routing.attribute",
              "must not be empty");
}


// A push config: `extra` top-level keys before backends, `push` the push section's body (indent 2).
std::string PushConfigWith(const std::string& push, const std::string& extra = "",
                           const std::string& backend_extra = "") {
  return absl::StrCat("ingest: push\n", "subscription: projects/p1/subscriptions/orders-push\n", extra,
                      push.empty() ? "" : absl::StrCat("push:\n", push),
                      "backends:\n  orders:\n    url: https://orders.example.com/api\n", backend_extra);
}

constexpr char kPushAuthNone[] = "  auth: none\n";

TEST_F(ConfigLoaderTest, IngestIsPullByDefaultAndRefusesOtherWords) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ingest, IngestMode::kPull);
  ExpectError(absl::StrCat("ingest: poll\n", kMinimal), "ingest", "must be pull or push, got 'poll'");
}

TEST_F(ConfigLoaderTest, PushSectionGetsDocumentedDefaults) {
  auto config = Load(PushConfigWith(kPushAuthNone));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ingest, IngestMode::kPush);
  EXPECT_EQ(config->subscription, "projects/p1/subscriptions/orders-push");
  EXPECT_EQ(config->push.listen, "0.0.0.0:8080");
  EXPECT_EQ(config->push.path, "/pubsub/push");
  EXPECT_EQ(config->push.ack_deadline, absl::Seconds(60));
  EXPECT_EQ(config->push.auth, PushAuthKind::kNone);
}

TEST_F(ConfigLoaderTest, PushOidcIsReadWithItsKeySource) {
  Write("jwks.json", "{\"keys\":[]}");
  auto config = Load(PushConfigWith(
      "  listen: 127.0.0.1:8181\n  path: /push/in\n  ack_deadline: 120s\n"
      "  auth:\n    oidc:\n      audience: https://svc.example.com/push/in\n"
      "      service_accounts: [pusher@p1.iam.gserviceaccount.com, other@p1.iam.gserviceaccount.com]\n"
      "      jwks_file: jwks.json\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->push.listen, "127.0.0.1:8181");
  EXPECT_EQ(config->push.path, "/push/in");
  EXPECT_EQ(config->push.ack_deadline, absl::Seconds(120));
  EXPECT_EQ(config->push.auth, PushAuthKind::kOidc);
  EXPECT_EQ(config->push.oidc.audience, "https://svc.example.com/push/in");
  EXPECT_THAT(config->push.oidc.service_accounts,
              ::testing::ElementsAre("pusher@p1.iam.gserviceaccount.com", "other@p1.iam.gserviceaccount.com"));
  EXPECT_EQ(config->push.oidc.jwks_file, absl::StrCat(dir_, "/jwks.json"));
  EXPECT_EQ(config->push.oidc.jwks_url, "");  // the file replaces the URL

  auto by_url = Load(PushConfigWith(
      "  auth:\n    oidc:\n      audience: aud\n      service_accounts: [a@b.c]\n"));
  ASSERT_TRUE(by_url.ok()) << by_url.status();
  EXPECT_EQ(by_url->push.oidc.jwks_url, "https://www.googleapis.com/oauth2/v3/certs");
}

TEST_F(ConfigLoaderTest, PushNeedsAnExplicitAuth) {
  ExpectError(PushConfigWith(""), "push",
              "is required with ingest: push (at least push.auth: set push.auth.oidc, or push.auth: none explicitly)");
  ExpectError(PushConfigWith("  path: /p\n"), "push.auth",
              "is required: set push.auth.oidc (verify Pub/Sub's token), or push.auth: none explicitly");
  ExpectError(PushConfigWith("  auth: off\n"), "push.auth", "must be none or a mapping with oidc, got 'off'");
  ExpectError(PushConfigWith("  auth:\n"), "push.auth", "needs a value");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      service_accounts: [a@b.c]\n"), "push.auth.oidc.audience",
              "is required");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      audience: aud\n"), "push.auth.oidc.service_accounts",
              "is required");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      audience: aud\n      service_accounts: []\n"),
              "push.auth.oidc.service_accounts", "must be a non-empty list");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      audience: aud\n      service_accounts: [nobody]\n"),
              "push.auth.oidc.service_accounts[0]", "must be an e-mail address, got 'nobody'");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      audience: aud\n      service_accounts: [a@b.c]\n"
                             "      jwks_url: http://keys.example.com/certs\n"),
              "push.auth.oidc.jwks_url", "must start with https://");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      audience: aud\n      service_accounts: [a@b.c]\n"
                             "      jwks_url: https://keys.example.com/certs\n      jwks_file: keys.json\n"),
              "push.auth.oidc", "set either jwks_url or jwks_file, not both");
  ExpectError(PushConfigWith("  auth:\n    oidc:\n      audience: aud\n      service_accounts: [a@b.c]\n"
                             "      jwks_file: missing.json\n"),
              "push.auth.oidc.jwks_file", "cannot read");
}

TEST_F(ConfigLoaderTest, PushKeysAreRangeChecked) {
  ExpectError(PushConfigWith(absl::StrCat("  ack_deadline: 5s\n", kPushAuthNone)), "push.ack_deadline",
              "must be between 10s and 10m, got 5s");
  ExpectError(PushConfigWith(absl::StrCat("  ack_deadline: 601s\n", kPushAuthNone)), "push.ack_deadline",
              "must be between 10s and 10m, got 601s");
  // It is the subscription's ackDeadlineSeconds: whole seconds only.
  ExpectError(PushConfigWith(absl::StrCat("  ack_deadline: 30.5s\n", kPushAuthNone)), "push.ack_deadline",
              "must be whole seconds (it is the subscription's ackDeadlineSeconds), got 30.5s");
  ExpectError(PushConfigWith(absl::StrCat("  listen: nowhere\n", kPushAuthNone)), "push.listen",
              "must be host:port, got 'nowhere'");
  ExpectError(PushConfigWith(absl::StrCat("  path: pubsub\n", kPushAuthNone)), "push.path",
              "must start with '/', got 'pubsub'");
  ExpectError(PushConfigWith(absl::StrCat("  path: /push?x=1\n", kPushAuthNone)), "push.path",
              "must not contain a query");
  ExpectError(PushConfigWith(absl::StrCat("  listen: 127.0.0.1:9090\n", kPushAuthNone)), "push.listen",
              "must differ from admin.listen (127.0.0.1:9090)");
  ExpectError(PushConfigWith(absl::StrCat("  port: 8080\n", kPushAuthNone)), "push.port", "unknown key");
}

TEST_F(ConfigLoaderTest, PullOnlyKeysAreRefusedWithIngestPushSayingWhy) {
  ExpectError(PushConfigWith(kPushAuthNone, "streams: 4\n"), "streams",
              "is a pull setting: with ingest: push there is no subscriber");
  ExpectError(PushConfigWith(kPushAuthNone, "lease:\n  max_extension: 30m\n"), "lease.max_extension",
              "is a pull setting: a push request cannot be leased or extended past push.ack_deadline");
  ExpectError(PushConfigWith(kPushAuthNone, "lease:\n  extension_step: 30s\n"), "lease.extension_step",
              "is a pull setting");
  ExpectError(PushConfigWith(kPushAuthNone, "redelivery:\n  initial_delay: 10s\n"), "redelivery.initial_delay",
              "is a pull setting: a push answer carries no nack delay");
  ExpectError(PushConfigWith(kPushAuthNone, "flow_control:\n  max_outstanding_bytes: 1000\n"),
              "flow_control.max_outstanding_bytes", "is a pull setting");
  ExpectError(PushConfigWith(kPushAuthNone, "", "    circuit_breaker:\n      max_hold: 1m\n"),
              "backends.orders.circuit_breaker.max_hold",
              "is a pull setting: a push request cannot be held past push.ack_deadline");
  ExpectError(PushConfigWith(kPushAuthNone, "", "    circuit_breaker:\n      max_held_messages: 5\n"),
              "backends.orders.circuit_breaker.max_held_messages", "is a pull setting");
  // The answer to a push request is the ack: acking on receipt would answer 2xx at once, so nothing would
  // bound the work in the service and a failure after the answer would lose the message unseen.
  ExpectError(PushConfigWith(kPushAuthNone, "ack_mode: on-receipt\n"), "ack_mode",
              "on-receipt is a pull setting");
  ASSERT_TRUE(Load(PushConfigWith(kPushAuthNone, "ack_mode: after-success\n")).ok());
  // What keeps its meaning in push mode is accepted.
  auto config = Load(PushConfigWith(kPushAuthNone, "flow_control:\n  max_outstanding_messages: 50\n",
                                    "    circuit_breaker:\n      open_duration: 5s\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_outstanding_messages, 50);
}

TEST_F(ConfigLoaderTest, PushSectionIsRefusedWhenPulling) {
  ExpectError(absl::StrCat(kMinimal, "push:\n  auth: none\n"), "push", "is only valid with ingest: push");
  ExpectError(absl::StrCat("ingest: pull\n", kMinimal, "push:\n  auth: none\n"), "push",
              "is only valid with ingest: push");
}

}  // namespace
}  // namespace schedsvc::config

namespace schedsvc::config {
namespace {

TEST(ExampleConfigTest, ShippedExampleLoads) {
  const std::string dir = std::string(SCHEDSVC_SOURCE_DIR) + "/config";
  auto config = LoadServiceConfig(dir + "/example.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->subscription, "projects/local-project/subscriptions/schedule-service");
  EXPECT_EQ(config->dead_letter_topic, "projects/local-project/topics/schedule-service-dead-letter");
  EXPECT_EQ(config->admin_listen, "127.0.0.1:9090");
  ASSERT_EQ(config->backends.size(), 1u);
  EXPECT_EQ(config->backends[0].name, "demo");
  EXPECT_EQ(config->backends[0].url, "http://127.0.0.1:8087");
  EXPECT_EQ(config->backends[0].auth.kind, AuthKind::kBasic);
  EXPECT_EQ(config->backends[0].auth.password_file, dir + "/secrets/demo-password");
}

TEST(ExampleConfigTest, ShippedPushExampleLoads) {
  const std::string dir = std::string(SCHEDSVC_SOURCE_DIR) + "/config";
  auto config = LoadServiceConfig(dir + "/example-push.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ingest, IngestMode::kPush);
  EXPECT_EQ(config->push.listen, "127.0.0.1:8080");
  EXPECT_EQ(config->push.path, "/pubsub/push");
  EXPECT_EQ(config->push.ack_deadline, absl::Seconds(60));
  EXPECT_EQ(config->push.auth, PushAuthKind::kNone);
  EXPECT_EQ(config->subscription, "projects/local-project/subscriptions/schedule-service-push");
  ASSERT_EQ(config->backends.size(), 1u);
  EXPECT_EQ(config->backends[0].auth.password_file, dir + "/secrets/demo-password");
}

}  // namespace
}  // namespace schedsvc::config
