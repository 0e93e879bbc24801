// SchedulerMetrics: the emulator's Prometheus metrics, named as docs/metrics.md's
// "cloud-scheduler-emulator" table: scheduler_runs_total{job,result}, scheduler_fire_lateness_seconds,
// scheduler_jobs{state}. Owns its registry; the REST server serialises it on /metrics. Thread-safe.
#ifndef SCHEDSVC_SCHEDULER_SCHEDULER_METRICS_H_
#define SCHEDSVC_SCHEDULER_SCHEDULER_METRICS_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace schedsvc::scheduler {

// The `result` label of scheduler_runs_total.
enum class AttemptResult { kSuccess, kFailure, kRetry };

class SchedulerMetrics {
 public:
  SchedulerMetrics();

  // Counts one attempt of `job` (its full name).
  void RecordAttempt(const std::string& job, AttemptResult result);
  // Observes dispatch time − scheduled time of a scheduled run.
  void ObserveLateness(absl::Duration lateness);
  // Sets the number of jobs in ENABLED and PAUSED state.
  void SetJobCounts(int enabled, int paused);

  // Returns the metrics in Prometheus text format.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& runs_;
  prometheus::Histogram& lateness_;
  prometheus::Family<prometheus::Gauge>& jobs_;
  prometheus::Gauge& enabled_;
  prometheus::Gauge& paused_;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_SCHEDULER_METRICS_H_
