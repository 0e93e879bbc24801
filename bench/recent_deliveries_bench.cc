// recent_deliveries_bench: what the recent-deliveries ring (src/dispatch/recent_deliveries.h) adds to each
// delivery: MakeDeliveryRecord (bounded copy of the attributes, credential redaction inside the values) and
// RecentDeliveries::Add, for a message with the attributes a Cloud Scheduler job typically carries. Also
// the cost of a /debug/deliveries snapshot of a full ring. Google Benchmark; run:
//   build/bench/recent_deliveries_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <map>
#include <string>

#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/common/mutex_mode.h"
#include "src/dispatch/recent_deliveries.h"

namespace schedsvc::dispatch {
namespace {

constexpr std::size_t kRingCapacity = 256;
constexpr int kDistinctIds = 1000;
constexpr int kStatusOk = 200;

// The attributes of a typical scheduled message (DESIGN.md "Message -> HTTP request").
const std::map<std::string, std::string>& JobAttributes() {
  static const auto* attributes = new std::map<std::string, std::string>{
      {"backend", "orders"},
      {"path", "/v1/jobs/nightly-report?region=eu"},
      {"method", "POST"},
      {"content_type", "application/json"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
  };
  return *attributes;
}

void BM_RecordOneDelivery(benchmark::State& state) {
  RecentDeliveries ring(kRingCapacity);
  const absl::Time now = absl::Now();
  int i = 0;
  for (auto _ : state) {
    ring.Add(MakeDeliveryRecord(now, absl::StrCat(1000000 + (i++ % kDistinctIds)), now, 1, JobAttributes(),
                                "orders", 1, kStatusOk, absl::Milliseconds(3), FinalOutcome::kDelivered, "", ""));
  }
}
BENCHMARK(BM_RecordOneDelivery);

void BM_SnapshotFullRing(benchmark::State& state) {
  RecentDeliveries ring(kRingCapacity);
  const absl::Time now = absl::Now();
  for (std::size_t i = 0; i < kRingCapacity; ++i) {
    ring.Add(MakeDeliveryRecord(now, absl::StrCat(i), now, 1, JobAttributes(), "orders", 1, kStatusOk,
                                absl::Milliseconds(3), FinalOutcome::kDelivered, "", ""));
  }
  for (auto _ : state) benchmark::DoNotOptimize(ring.Snapshot());
}
BENCHMARK(BM_SnapshotFullRing);

}  // namespace
}  // namespace schedsvc::dispatch

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
