#include "src/service/schedule_service.h"

#include "absl/strings/str_cat.h"
#include "src/dispatch/secret_file.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/connection_options.h"
#include "src/push/oidc_push_authenticator.h"

namespace schedsvc::service {
namespace {

// The dispatcher's executor runs its retry and hold timers and every HTTP completion (CurlHttpClient's
// callback_executor): breaker, metrics and log formatting, and the next attempt's request build, which
// may read a credential file. Microseconds per message, but a file read on a slow (network-mounted)
// secret volume blocks its thread: several threads, so one such read does not hold up every completion.
// Pub/Sub runs on gRPC's threads, HTTP I/O on curl's loop.
constexpr int kDispatcherThreads = 4;
constexpr absl::Duration kAckFlushTimeout = absl::Seconds(10);
// The start-up lookup of the dead-letter topic: one RPC, bounded so a shutdown right after start does not
// wait long for it.
constexpr absl::Duration kDeadLetterCheckTimeout = absl::Seconds(5);

// Returns the push endpoint's authenticator for `push`: null for push.auth: none.
absl::StatusOr<std::unique_ptr<push::PushAuthenticator>> MakePushAuthenticator(const config::PushConfig& push,
                                                                              Clock& wall) {
  if (push.auth == config::PushAuthKind::kNone) return std::unique_ptr<push::PushAuthenticator>();
  return push::MakeOidcPushAuthenticator(push.oidc, wall);
}

}  // namespace

ScheduleService::ScheduleService(config::ServiceConfig config, JsonLogger& log)
    : config_(std::move(config)), log_(log) {}

absl::StatusOr<std::unique_ptr<ScheduleService>> ScheduleService::Create(config::ServiceConfig config,
                                                                        JsonLogger& log) {
  std::unique_ptr<ScheduleService> s(new ScheduleService(std::move(config), log));
  const auto& c = s->config_;
  std::vector<std::string> backend_names;
  for (const auto& b : c.backends) backend_names.push_back(b.name);
  s->metrics_ = std::make_unique<metrics::ServiceMetrics>(c.subscription, backend_names);
  s->executor_ = std::make_unique<ThreadExecutor>(s->steady_clock_, kDispatcherThreads);
  // Completions leave curl's loop thread (it runs no blocking work); Shutdown() stops the client before
  // the executor, as the client requires.
  dispatch::CurlHttpClientOptions http_options;
  http_options.callback_executor = s->executor_.get();
  auto http = dispatch::CurlHttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  s->http_ = *std::move(http);
  pubsub::ConnectionOptions connection;
  if (!c.dead_letter_topic.empty()) {
    pubsub::PublisherOptions publisher_options;
    publisher_options.topic = c.dead_letter_topic;
    auto publisher = pubsub::MakePublisher(publisher_options, connection);
    if (!publisher.ok()) return publisher.status();
    s->dead_letters_ = std::make_unique<dispatch::DeadLetterPublisher>(*std::move(publisher), c.subscription);
  }
  if (c.admin_recent_deliveries > 0) {
    s->recent_deliveries_ =
        std::make_unique<dispatch::RecentDeliveries>(static_cast<std::size_t>(c.admin_recent_deliveries));
  }
  s->dispatcher_ = std::make_unique<dispatch::MessageDispatcher>(c, *s->http_, s->dead_letters_.get(),
                                                                 *s->executor_, s->steady_clock_, s->clock_,
                                                                 *s->metrics_, log, s->recent_deliveries_.get());
  ScheduleService* raw = s.get();
  if (c.ingest == config::IngestMode::kPush) {
    auto authenticator = MakePushAuthenticator(c.push, s->clock_);
    if (!authenticator.ok()) return authenticator.status();
    s->push_authenticator_ = *std::move(authenticator);
    push::PushServerOptions push_options;
    push_options.listen = c.push.listen;
    push_options.path = c.push.path;
    push_options.ack_deadline = c.push.ack_deadline;
    push_options.max_outstanding_messages = c.max_outstanding_messages;
    push_options.subscription = c.subscription;
    dispatch::MessageDispatcher* dispatcher = s->dispatcher_.get();
    s->push_server_ = std::make_unique<push::PushServer>(
        push_options, s->push_authenticator_.get(),
        [dispatcher](pubsub::Message m, pubsub::AckHandle h) { dispatcher->Dispatch(std::move(m), std::move(h)); },
        s->steady_clock_, *s->metrics_, log);
    s->admin_ = std::make_unique<AdminServer>(
        s->metrics_->registry(), [raw] { return raw->readiness(); }, [raw] { raw->BeforeScrape(); });
    s->admin_->ServeRecentDeliveries(s->recent_deliveries_.get());
    return s;
  }
  pubsub::SubscriberOptions subscriber_options;
  subscriber_options.subscription = c.subscription;
  subscriber_options.streams = c.streams;
  subscriber_options.max_outstanding_messages = c.max_outstanding_messages;
  subscriber_options.max_outstanding_bytes = c.max_outstanding_bytes;
  subscriber_options.lease_extension_step = c.lease_extension_step;
  // In on-receipt mode messages are acked at once: nothing to extend.
  subscriber_options.max_lease_extension =
      c.ack_mode == config::AckMode::kOnReceipt ? absl::ZeroDuration() : c.lease_max_extension;
  s->subscriber_events_ = std::make_unique<SubscriberEventLog>(
      c.subscription, pubsub::ResolveEndpoint(connection).address, log, *s->metrics_, s->steady_clock_);
  SubscriberEventLog* events = s->subscriber_events_.get();
  subscriber_options.on_stream_event = [events](const pubsub::StreamEvent& e) { events->OnStreamEvent(e); };
  subscriber_options.on_ack_failure = [events](const pubsub::AckFailureEvent& e) { events->OnAckFailure(e); };
  auto subscriber = pubsub::MakeSubscriber(subscriber_options, connection);
  if (!subscriber.ok()) return subscriber.status();
  s->subscriber_ = *std::move(subscriber);
  s->admin_ = std::make_unique<AdminServer>(
      s->metrics_->registry(), [raw] { return raw->readiness(); }, [raw] { raw->BeforeScrape(); });
  s->admin_->ServeRecentDeliveries(s->recent_deliveries_.get());
  return s;
}

ScheduleService::~ScheduleService() { Shutdown(); }

absl::Status ScheduleService::Start() {
  if (auto s = admin_->Start(config_.admin_listen); !s.ok()) return s;
  if (config_.ack_mode == config::AckMode::kOnReceipt) {
    log_.Warning(
        "ack_mode is on-receipt (at-most-once): messages are acked before the backend is called, so a crash "
        "or a final failure without a dead-letter topic loses them, and Pub/Sub's redelivery and dead-letter "
        "policy cannot help",
        {{"subscription", config_.subscription}});
  }
  if (push_server_) return StartPush();
  auto endpoint = pubsub::ResolveEndpoint({});
  log_.Info("schedule-service starting",
            {{"subscription", config_.subscription},
             {"streams", config_.streams},
             {"pubsub_endpoint", endpoint.address},
             {"admin", absl::StrCat(config_.admin_listen)},
             {"backends", config_.backends.size()}});
  CheckCredentialFiles();
  if (!config_.dead_letter_topic.empty()) dead_letter_check_ = std::thread([this] { CheckDeadLetterTopic(); });
  dispatch::MessageDispatcher* dispatcher = dispatcher_.get();
  subscriber_->Start([dispatcher](pubsub::Message m, pubsub::AckHandle h) {
    dispatcher->Dispatch(std::move(m), std::move(h));
  });
  return absl::OkStatus();
}

absl::Status ScheduleService::StartPush() {
  if (config_.push.auth == config::PushAuthKind::kNone) {
    log_.Warning(
        "push.auth is none: push requests are not authenticated, so anyone who can reach push.listen can have "
        "messages delivered to the backends; use push.auth.oidc unless a proxy in front authenticates Pub/Sub",
        {{"subscription", config_.subscription}, {"push_listen", config_.push.listen}});
  }
  if (auto s = push_server_->Start(); !s.ok()) return s;
  log_.Info("schedule-service starting",
            {{"ingest", "push"},
             {"subscription", config_.subscription},
             {"push_listen", config_.push.listen},
             {"push_path", config_.push.path},
             {"push_port", push_server_->port()},
             {"ack_deadline_s", absl::ToDoubleSeconds(config_.push.ack_deadline)},
             {"admin", config_.admin_listen},
             {"backends", config_.backends.size()}});
  CheckCredentialFiles();
  if (!config_.dead_letter_topic.empty()) dead_letter_check_ = std::thread([this] { CheckDeadLetterTopic(); });
  return absl::OkStatus();
}

void ScheduleService::CheckCredentialFiles() {
  for (const config::BackendConfig& backend : config_.backends) {
    const std::pair<const char*, const std::string*> files[] = {
        {"auth.basic.username_file", &backend.auth.username_file},
        {"auth.basic.password_file", &backend.auth.password_file},
        {"auth.bearer.token_file", &backend.auth.token_file}};
    for (const auto& [key, file] : files) {
      if (file->empty()) continue;
      // SecretFile's errors name the file and the problem, never the contents.
      absl::StatusOr<std::string> value = dispatch::SecretFile(*file, clock_).Value();
      if (value.ok()) continue;
      log_.Error(
          "credential file cannot be used: calls to this backend fail until it is fixed (the file is re-read "
          "when it changes)",
          {{"backend", backend.name},
           {"key", key},
           {"file", *file},
           {"code", absl::StatusCodeToString(value.status().code())},
           {"error", std::string(value.status().message())}});
    }
  }
}

void ScheduleService::CheckDeadLetterTopic() {
  pubsub::ConnectionOptions connection;
  connection.rpc_timeout = kDeadLetterCheckTimeout;
  const std::string& topic = config_.dead_letter_topic;
  absl::StatusOr<google::pubsub::v1::Topic> found = pubsub::MakeAdminClient(connection)->GetTopic(topic);
  if (found.ok()) {
    log_.Info("dead_letter_topic exists", {{"dead_letter_topic", topic}});
    return;
  }
  const nlohmann::json fields = {{"dead_letter_topic", topic},
                                 {"code", absl::StatusCodeToString(found.status().code())},
                                 {"error", std::string(found.status().message())}};
  if (found.status().code() == absl::StatusCode::kNotFound) {
    log_.Error(
        "dead_letter_topic does not exist: permanent failures cannot be dead-lettered and are nacked with a "
        "delay until it is created",
        fields);
  } else {
    log_.Warning("cannot verify that dead_letter_topic exists (the service account may lack pubsub.topics.get)",
                 fields);
  }
}

bool ScheduleService::ready() const {
  if (push_server_) return !shutting_down_ && push_server_->listening();
  return !shutting_down_ && subscriber_ && subscriber_->IsHealthy();
}

Readiness ScheduleService::readiness() const {
  if (shutting_down_) return {false, "shutting down"};
  if (push_server_) {
    if (!push_server_->listening()) return {false, absl::StrCat("push endpoint not listening on ", config_.push.listen)};
    return {true, ""};
  }
  if (!subscriber_) return {false, "subscriber not created"};
  pubsub::SubscriberHealth health = subscriber_->Health();
  if (health.healthy) return {true, ""};
  return {false, absl::StrCat("no stream connected: ", health.reason)};
}

void ScheduleService::BeforeScrape() {
  if (!subscriber_) {
    // ingest: push: no subscriber figures.
    metrics_->SetReady(ready());
    metrics_->UpdateProcess();
    metrics_->SetLogLinesDropped(log_.dropped_lines());
    metrics_->SetHttpResends(static_cast<std::uint64_t>(std::max(0L, http_->resends())));
    dispatcher_->UpdateMetrics();
    return;
  }
  const auto stats = subscriber_->stats();
  metrics::ServiceMetrics::SubscriberFigures figures;
  figures.streams_connected = stats.streams_connected;
  figures.stream_reconnects = stats.stream_reconnects;
  figures.lease_extensions = stats.lease_extensions;
  figures.lease_expiries = stats.lease_expiries;
  // The subscriber's times are readings of its own monotonic clock: it reports the age itself.
  figures.oldest_in_flight_age_seconds = absl::ToDoubleSeconds(stats.oldest_lease_age);
  figures.messages_waiting = stats.messages_waiting;
  metrics_->UpdateSubscriber(figures);
  metrics_->SetReady(ready());
  metrics_->UpdateProcess();
  metrics_->SetLogLinesDropped(log_.dropped_lines());
  metrics_->SetHttpResends(static_cast<std::uint64_t>(std::max(0L, http_->resends())));
  dispatcher_->UpdateMetrics();
}

void ScheduleService::Shutdown() {
  if (stopped_.exchange(true)) return;
  shutting_down_ = true;
  const int in_flight = dispatcher_ ? dispatcher_->in_flight() : 0;
  log_.Info("shutting down", {{"in_flight", in_flight},
                              {"grace_s", absl::ToDoubleSeconds(config_.shutdown_grace)}});
  if (subscriber_) subscriber_->StopReceiving();
  // Push: late requests are answered 503 from now on.
  if (push_server_) push_server_->StopAccepting();
  if (dispatcher_) {
    // Waiting messages go back now; calls on the wire get the grace period.
    dispatcher_->BeginShutdown();
    if (!dispatcher_->WaitIdle(config_.shutdown_grace)) {
      log_.Warning("shutdown grace ran out; unfinished messages are nacked",
                   {{"in_flight", dispatcher_->in_flight()}});
    }
  }
  if (push_server_) push_server_->Stop();  // answers what still waits 503, then joins its threads
  if (subscriber_) subscriber_->Shutdown(kAckFlushTimeout);
  if (http_) http_->Shutdown();
  if (dead_letters_) dead_letters_->Shutdown();
  if (executor_) executor_->Shutdown();
  if (admin_) admin_->Stop();
  if (dead_letter_check_.joinable()) dead_letter_check_.join();
  log_.Info("schedule-service stopped");
}

}  // namespace schedsvc::service
