// json_log_bench: the cost of one JsonLogger line in the shape of the service's per-delivery "message
// delivered" line (message id, backend, attempt, latency), written to /dev/null through an ofstream so
// that the write system call per line is included. Google Benchmark; run:
//   build/bench/json_log_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <fstream>
#include <string>

#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/common/mutex_mode.h"

namespace schedsvc {
namespace {

void BM_DeliveredLine(benchmark::State& state) {
  std::ofstream out("/dev/null");
  SystemClock clock;
  JsonLogger logger(out, clock);
  int i = 0;
  for (auto _ : state) {
    logger.Info("message delivered", {{"message_id", absl::StrCat(1000000 + (i++ % 1000))},
                                      {"backend", "web"},
                                      {"attempt", 1},
                                      {"latency_ms", 3.25}});
  }
}
BENCHMARK(BM_DeliveredLine);

}  // namespace
}  // namespace schedsvc

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
