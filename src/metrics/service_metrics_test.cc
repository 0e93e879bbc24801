#include "src/metrics/service_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace schedsvc::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Scrape(const ServiceMetrics& m) {
  return prometheus::TextSerializer().Serialize(m.registry()->Collect());
}

TEST(ServiceMetricsTest, ExportsTheContractNamesWithBackendLabels) {
  ServiceMetrics m("projects/p/subscriptions/s", {"orders"});
  m.MessageReceived();
  m.Acked("orders");
  m.Nacked("orders", "retry_budget_spent");
  m.DeadLettered("orders", "http_4xx");
  m.BackendRequest("orders", "5xx", absl::Milliseconds(20));
  m.EndToEnd("orders", absl::Seconds(2));
  m.SetCircuitState("orders", 2);
  m.UpdateProcess();
  const std::string text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_received_total{subscription=\"projects/p/subscriptions/s\"} 1"));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_acked_total{backend=\"orders\"} 1"));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_nacked_total{backend=\"orders\",reason=\"retry_budget_spent\"} 1"));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_dead_lettered_total{backend=\"orders\",reason=\"http_4xx\"} 1"));
  EXPECT_THAT(text, HasSubstr("schedsvc_backend_requests_total{backend=\"orders\",code_class=\"5xx\"} 1"));
  EXPECT_THAT(text, HasSubstr("schedsvc_circuit_state{backend=\"orders\"} 2"));
  EXPECT_THAT(text, HasSubstr("schedsvc_end_to_end_latency_seconds_count{backend=\"orders\"} 1"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes"));
}

TEST(ServiceMetricsTest, UnconfiguredBackendNamesNeverBecomeLabels) {
  ServiceMetrics m("s", {"orders"});
  m.DeadLettered("attacker-chosen-name", "unknown_backend");
  m.Acked("another-made-up-name");
  const std::string text = Scrape(m);
  EXPECT_THAT(text, Not(HasSubstr("attacker-chosen-name")));
  EXPECT_THAT(text, Not(HasSubstr("another-made-up-name")));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_dead_lettered_total{backend=\"\",reason=\"unknown_backend\"} 1"));
}

TEST(ServiceMetricsTest, KnownNackAndDeadLetterReasonsStartAtZeroPerBackend) {
  ServiceMetrics m("s", {"orders"});
  const std::string text = Scrape(m);
  for (const std::string backend : {"orders", ""}) {
    for (absl::string_view reason : kNackReasons) {
      EXPECT_THAT(text, HasSubstr(absl::StrCat("schedsvc_messages_nacked_total{backend=\"", backend,
                                               "\",reason=\"", reason, "\"} 0\n")));
    }
    for (absl::string_view reason : kDeadLetterReasons) {
      EXPECT_THAT(text, HasSubstr(absl::StrCat("schedsvc_messages_dead_lettered_total{backend=\"", backend,
                                               "\",reason=\"", reason, "\"} 0\n")));
    }
  }
}

TEST(ServiceMetricsTest, LostAndAuthFailureSeriesStartAtZeroPerBackend) {
  ServiceMetrics m("s", {"orders"});
  m.MessageLost("orders", kLostDeadLetterPublishFailed);
  m.BackendAuthFailure("orders");
  const std::string text = Scrape(m);
  for (const std::string backend : {"orders", ""}) {
    for (absl::string_view reason : kLostReasons) {
      const int expected = backend == "orders" && reason == kLostDeadLetterPublishFailed ? 1 : 0;
      EXPECT_THAT(text, HasSubstr(absl::StrCat("schedsvc_messages_lost_total{backend=\"", backend,
                                               "\",reason=\"", reason, "\"} ", expected, "\n")));
    }
    EXPECT_THAT(text, HasSubstr(absl::StrCat("schedsvc_backend_auth_failures_total{backend=\"", backend, "\"} ",
                                             backend == "orders" ? 1 : 0, "\n")));
  }
}

TEST(ServiceMetricsTest, PushRequestSeriesStartAtZeroAndCountByResult) {
  ServiceMetrics m("projects/p/subscriptions/s", {"orders"});
  for (absl::string_view result : kPushResults) {
    EXPECT_THAT(Scrape(m), HasSubstr(absl::StrCat("schedsvc_push_requests_total{result=\"", result, "\"} 0")));
  }
  m.PushRequest(kPushServiceFull);
  m.PushRequest("not_a_result");  // not counted, no new series
  const std::string text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_push_requests_total{result=\"service_full\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("not_a_result")));
}

TEST(ServiceMetricsTest, FirstFailureMovesThePreCreatedSeries) {
  ServiceMetrics m("s", {"orders"});
  m.DeadLettered("orders", "http_4xx");
  m.Nacked("nosuch", "retry_budget_spent");
  const std::string text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_dead_lettered_total{backend=\"orders\",reason=\"http_4xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_dead_lettered_total{backend=\"orders\",reason=\"http_3xx\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_nacked_total{backend=\"\",reason=\"retry_budget_spent\"} 1\n"));
}

TEST(ServiceMetricsTest, UnlistedReasonGetsItsSeriesOnFirstUse) {
  ServiceMetrics m("s", {"orders"});
  const std::string kUnlisted = "some_new_reason";
  EXPECT_THAT(Scrape(m), Not(HasSubstr(kUnlisted)));
  m.Nacked("orders", kUnlisted);
  m.Nacked("orders", kUnlisted);
  m.DeadLettered("orders", kUnlisted);
  const std::string text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_nacked_total{backend=\"orders\",reason=\"some_new_reason\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("schedsvc_messages_dead_lettered_total{backend=\"orders\",reason=\"some_new_reason\"} 1\n"));
}

TEST(ServiceMetricsTest, SubscriberTotalsAreCopiedAsMonotonicCounters) {
  ServiceMetrics m("s", {});
  m.UpdateSubscriber({2, 3, 10, 1, 4.5});
  m.UpdateSubscriber({1, 3, 12, 1, 0});
  const std::string text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_lease_extensions_total 12"));
  EXPECT_THAT(text, HasSubstr("schedsvc_stream_reconnects_total 3"));
  EXPECT_THAT(text, HasSubstr("schedsvc_streams_open 1"));
}

TEST(ServiceMetricsTest, StreamAndAckFailuresAreCountedByCodeFromZero) {
  ServiceMetrics m("s", {});
  std::string text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_stream_failures_total{code=\"NOT_FOUND\"} 0"));
  EXPECT_THAT(text, HasSubstr("schedsvc_ack_failures_total{code=\"UNAVAILABLE\",rpc=\"acknowledge\"} 0"));
  m.StreamFailure("NOT_FOUND");
  m.StreamFailure("NOT_FOUND");
  m.AckFailure(kRpcModifyAckDeadline, "INVALID_ARGUMENT", 3);
  ServiceMetrics::SubscriberFigures figures;
  figures.messages_waiting = 7;
  m.UpdateSubscriber(figures);
  text = Scrape(m);
  EXPECT_THAT(text, HasSubstr("schedsvc_stream_failures_total{code=\"NOT_FOUND\"} 2"));
  EXPECT_THAT(text, HasSubstr("schedsvc_ack_failures_total{code=\"INVALID_ARGUMENT\",rpc=\"modify_ack_deadline\"} 3"));
  EXPECT_THAT(text, HasSubstr("schedsvc_messages_waiting 7"));
}

TEST(ServiceMetricsTest, LogLinesDroppedIsCopiedAsAMonotonicCounter) {
  constexpr std::uint64_t kDropped = 7;
  ServiceMetrics m("s", {});
  EXPECT_THAT(Scrape(m), HasSubstr("schedsvc_log_lines_dropped_total 0"));
  m.SetLogLinesDropped(kDropped);
  m.SetLogLinesDropped(kDropped - 1);
  EXPECT_THAT(Scrape(m), HasSubstr("schedsvc_log_lines_dropped_total 7"));
}

}  // namespace
}  // namespace schedsvc::metrics
