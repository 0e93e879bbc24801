#include "src/metrics/service_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
  return *buckets;
}

const char* const kCodeClasses[] = {"2xx", "3xx", "4xx", "5xx", "transport_error", "timeout", "1xx"};

}  // namespace

ServiceMetrics::ServiceMetrics(const std::string& subscription, const std::vector<std::string>& backends)
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  received_ = &BuildCounter()
                   .Name("schedsvc_messages_received_total")
                   .Help("Messages delivered to the service by StreamingPull, redeliveries included.")
                   .Register(r)
                   .Add({{"subscription", subscription}});
  acked_family_ = &BuildCounter()
                       .Name("schedsvc_messages_acked_total")
                       .Help("Messages acked (after success, or on receipt in on-receipt mode).")
                       .Register(r);
  nacked_family_ = &BuildCounter()
                        .Name("schedsvc_messages_nacked_total")
                        .Help("Messages handed back to Pub/Sub, by reason.")
                        .Register(r);
  dead_lettered_family_ = &BuildCounter()
                               .Name("schedsvc_messages_dead_lettered_total")
                               .Help("Messages published to the dead-letter topic, by reason.")
                               .Register(r);
  requests_family_ = &BuildCounter()
                          .Name("schedsvc_backend_requests_total")
                          .Help("HTTP attempts by backend and result class.")
                          .Register(r);
  request_duration_family_ = &BuildHistogram()
                                  .Name("schedsvc_backend_request_duration_seconds")
                                  .Help("Duration of one HTTP attempt.")
                                  .Register(r);
  end_to_end_family_ = &BuildHistogram()
                            .Name("schedsvc_end_to_end_latency_seconds")
                            .Help("Pub/Sub publish time to ack.")
                            .Register(r);
  retries_family_ =
      &BuildCounter().Name("schedsvc_retries_total").Help("In-pod retries of an HTTP call.").Register(r);
  held_family_ = &BuildGauge()
                      .Name("schedsvc_messages_held")
                      .Help("Messages held leased because the backend's circuit is open.")
                      .Register(r);
  circuit_family_ = &BuildGauge()
                         .Name("schedsvc_circuit_state")
                         .Help("Circuit breaker state: 0 closed, 1 half-open, 2 open.")
                         .Register(r);
  lost_family_ = &BuildCounter()
                      .Name("schedsvc_messages_lost_total")
                      .Help("Messages acked on receipt (on-receipt mode) that were neither delivered nor "
                            "dead-lettered, by reason.")
                      .Register(r);
  auth_failures_family_ = &BuildCounter()
                               .Name("schedsvc_backend_auth_failures_total")
                               .Help("Attempts the backend answered 401 or 403 (credentials rejected).")
                               .Register(r);
  lease_extensions_ = &BuildCounter()
                           .Name("schedsvc_lease_extensions_total")
                           .Help("ModifyAckDeadline extensions sent for leased messages.")
                           .Register(r)
                           .Add({});
  lease_expiries_ = &BuildCounter()
                         .Name("schedsvc_lease_expiries_total")
                         .Help("Messages that reached lease.max_extension unsettled.")
                         .Register(r)
                         .Add({});
  reconnects_ = &BuildCounter()
                     .Name("schedsvc_stream_reconnects_total")
                     .Help("StreamingPull stream re-opens after an error or end.")
                     .Register(r)
                     .Add({});
  in_flight_ = &BuildGauge()
                    .Name("schedsvc_messages_in_flight")
                    .Help("Messages leased and not yet settled.")
                    .Register(r)
                    .Add({});
  streams_open_ = &BuildGauge()
                       .Name("schedsvc_streams_open")
                       .Help("StreamingPull streams currently connected.")
                       .Register(r)
                       .Add({});
  ready_ = &BuildGauge().Name("schedsvc_ready").Help("1 when /readyz answers 200.").Register(r).Add({});
  oldest_age_ = &BuildGauge()
                     .Name("schedsvc_oldest_in_flight_age_seconds")
                     .Help("Age since publish of the oldest message this pod holds.")
                     .Register(r)
                     .Add({});
  rss_ = &BuildGauge()
              .Name("process_resident_memory_bytes")
              .Help("Resident set size of the process.")
              .Register(r)
              .Add({});
  cpu_ = &BuildCounter()
              .Name("process_cpu_seconds_total")
              .Help("User and system CPU time of the process.")
              .Register(r)
              .Add({});
  log_lines_dropped_ = &BuildCounter()
                            .Name("schedsvc_log_lines_dropped_total")
                            .Help("Log lines dropped because stdout's reader did not keep up.")
                            .Register(r)
                            .Add({});
  http_resends_ = &BuildCounter()
                       .Name("schedsvc_http_resends_total")
                       .Help("Requests libcurl sent again on a new connection after the reused one closed unanswered.")
                       .Register(r)
                       .Add({});
  auto& push_requests = BuildCounter()
                            .Name("schedsvc_push_requests_total")
                            .Help("Pub/Sub push requests (ingest: push) by how they were answered.")
                            .Register(r);
  for (absl::string_view result : kPushResults) {
    push_requests_[std::string(result)] = &push_requests.Add({{"result", std::string(result)}});
  }

  stream_failures_family_ = &BuildCounter()
                                .Name("schedsvc_stream_failures_total")
                                .Help("StreamingPull streams (or attempts to open one) that failed, by gRPC code.")
                                .Register(r);
  ack_failures_family_ = &BuildCounter()
                             .Name("schedsvc_ack_failures_total")
                             .Help("Ack ids whose Acknowledge or ModifyAckDeadline finally failed, by rpc and gRPC code.")
                             .Register(r);
  messages_waiting_ = &BuildGauge()
                           .Name("schedsvc_messages_waiting")
                           .Help("Messages received and leased but waiting for flow control.")
                           .Register(r)
                           .Add({});
  for (int c = 1; c <= static_cast<int>(absl::StatusCode::kUnauthenticated); ++c) {
    const std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(c));
    stream_failures_[code] = &stream_failures_family_->Add({{"code", code}});
    for (absl::string_view rpc : {kRpcAcknowledge, kRpcModifyAckDeadline}) {
      ack_failures_[absl::StrCat(rpc, "/", code)] =
          &ack_failures_family_->Add({{"rpc", std::string(rpc)}, {"code", code}});
    }
  }

  std::vector<std::string> names = backends;
  names.emplace_back(kUnknownBackend);
  for (const auto& name : names) {
    BackendSeries s;
    s.acked = &acked_family_->Add({{"backend", name}});
    s.retries = &retries_family_->Add({{"backend", name}});
    s.request_duration = &request_duration_family_->Add({{"backend", name}}, LatencyBuckets());
    s.end_to_end = &end_to_end_family_->Add({{"backend", name}}, LatencyBuckets());
    s.held = &held_family_->Add({{"backend", name}});
    s.circuit_state = &circuit_family_->Add({{"backend", name}});
    for (const char* code_class : kCodeClasses) {
      s.requests_by_class[code_class] = &requests_family_->Add({{"backend", name}, {"code_class", code_class}});
    }
    for (absl::string_view reason : kNackReasons) {
      s.nacked_by_reason[std::string(reason)] =
          &nacked_family_->Add({{"backend", name}, {"reason", std::string(reason)}});
    }
    for (absl::string_view reason : kDeadLetterReasons) {
      s.dead_lettered_by_reason[std::string(reason)] =
          &dead_lettered_family_->Add({{"backend", name}, {"reason", std::string(reason)}});
    }
    for (absl::string_view reason : kLostReasons) {
      s.lost_by_reason[std::string(reason)] = &lost_family_->Add({{"backend", name}, {"reason", std::string(reason)}});
    }
    s.auth_failures = &auth_failures_family_->Add({{"backend", name}});
    backends_.emplace(name, std::move(s));
  }
}

ServiceMetrics::BackendSeries* ServiceMetrics::Series(absl::string_view backend) {
  auto it = backends_.find(backend);
  if (it == backends_.end()) it = backends_.find(absl::string_view(kUnknownBackend));
  return &it->second;
}

void ServiceMetrics::Acked(absl::string_view backend) { Series(backend)->acked->Increment(); }

prometheus::Counter& ServiceMetrics::ReasonSeries(const CountersByReason& by_reason,
                                                  prometheus::Family<prometheus::Counter>& family,
                                                  const std::string& backend, absl::string_view reason) {
  auto it = by_reason.find(reason);
  if (it != by_reason.end()) return *it->second;
  // Not a listed reason: the map stays read-only after construction (no lock needed), and Family::Add
  // returns the existing series after the first call.
  return family.Add({{"backend", backend}, {"reason", std::string(reason)}});
}

void ServiceMetrics::Nacked(absl::string_view backend, absl::string_view reason) {
  auto it = backends_.find(backend);
  if (it == backends_.end()) it = backends_.find(absl::string_view(kUnknownBackend));
  ReasonSeries(it->second.nacked_by_reason, *nacked_family_, it->first, reason).Increment();
}

void ServiceMetrics::DeadLettered(absl::string_view backend, absl::string_view reason) {
  auto it = backends_.find(backend);
  if (it == backends_.end()) it = backends_.find(absl::string_view(kUnknownBackend));
  ReasonSeries(it->second.dead_lettered_by_reason, *dead_lettered_family_, it->first, reason).Increment();
}

void ServiceMetrics::MessageLost(absl::string_view backend, absl::string_view reason) {
  auto it = backends_.find(backend);
  if (it == backends_.end()) it = backends_.find(absl::string_view(kUnknownBackend));
  ReasonSeries(it->second.lost_by_reason, *lost_family_, it->first, reason).Increment();
}

void ServiceMetrics::BackendAuthFailure(absl::string_view backend) { Series(backend)->auth_failures->Increment(); }

void ServiceMetrics::BackendRequest(absl::string_view backend, absl::string_view code_class,
                                    absl::Duration latency) {
  auto* s = Series(backend);
  auto it = s->requests_by_class.find(code_class);
  if (it != s->requests_by_class.end()) it->second->Increment();
  s->request_duration->Observe(absl::ToDoubleSeconds(latency));
}

void ServiceMetrics::EndToEnd(absl::string_view backend, absl::Duration latency) {
  Series(backend)->end_to_end->Observe(absl::ToDoubleSeconds(latency));
}

void ServiceMetrics::Retry(absl::string_view backend) { Series(backend)->retries->Increment(); }

void ServiceMetrics::SetHeld(absl::string_view backend, double held) { Series(backend)->held->Set(held); }

void ServiceMetrics::SetCircuitState(absl::string_view backend, int state) {
  Series(backend)->circuit_state->Set(state);
}

void ServiceMetrics::CatchUp(prometheus::Counter* counter, double value) {
  const double delta = value - counter->Value();
  if (delta > 0) counter->Increment(delta);
}

void ServiceMetrics::UpdateSubscriber(const SubscriberFigures& figures) {
  streams_open_->Set(figures.streams_connected);
  CatchUp(reconnects_, static_cast<double>(figures.stream_reconnects));
  CatchUp(lease_extensions_, static_cast<double>(figures.lease_extensions));
  CatchUp(lease_expiries_, static_cast<double>(figures.lease_expiries));
  oldest_age_->Set(figures.oldest_in_flight_age_seconds);
  messages_waiting_->Set(static_cast<double>(figures.messages_waiting));
}

void ServiceMetrics::StreamFailure(absl::string_view code) {
  auto it = stream_failures_.find(code);
  prometheus::Counter& counter =
      it != stream_failures_.end() ? *it->second : stream_failures_family_->Add({{"code", std::string(code)}});
  counter.Increment();
}

void ServiceMetrics::AckFailure(absl::string_view rpc, absl::string_view code, std::int64_t ack_ids) {
  auto it = ack_failures_.find(absl::StrCat(rpc, "/", code));
  prometheus::Counter& counter = it != ack_failures_.end()
                                     ? *it->second
                                     : ack_failures_family_->Add({{"rpc", std::string(rpc)}, {"code", std::string(code)}});
  counter.Increment(static_cast<double>(ack_ids));
}

void ServiceMetrics::UpdateProcess() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    CatchUp(cpu_, cpu);
  }
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    rss_->Set(static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
}

void ServiceMetrics::SetHttpResends(std::uint64_t total) { CatchUp(http_resends_, static_cast<double>(total)); }

void ServiceMetrics::SetLogLinesDropped(std::uint64_t total) {
  CatchUp(log_lines_dropped_, static_cast<double>(total));
}

void ServiceMetrics::PushRequest(absl::string_view result) {
  auto it = push_requests_.find(result);
  if (it != push_requests_.end()) it->second->Increment();
}

}  // namespace schedsvc::metrics
