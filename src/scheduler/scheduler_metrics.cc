#include "src/scheduler/scheduler_metrics.h"

#include "prometheus/text_serializer.h"

namespace schedsvc::scheduler {
namespace {

absl::string_view ResultName(AttemptResult result) {
  switch (result) {
    case AttemptResult::kSuccess:
      return "success";
    case AttemptResult::kFailure:
      return "failure";
    case AttemptResult::kRetry:
      return "retry";
  }
  return "failure";
}

prometheus::Histogram::BucketBoundaries LatenessBuckets() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace

SchedulerMetrics::SchedulerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      runs_(prometheus::BuildCounter()
                .Name("scheduler_runs_total")
                .Help("Job attempts by result: success, failure, retry.")
                .Register(*registry_)),
      lateness_(prometheus::BuildHistogram()
                    .Name("scheduler_fire_lateness_seconds")
                    .Help("Actual dispatch time minus scheduled time.")
                    .Register(*registry_)
                    .Add({}, LatenessBuckets())),
      jobs_(prometheus::BuildGauge().Name("scheduler_jobs").Help("Jobs by state.").Register(*registry_)),
      enabled_(jobs_.Add({{"state", "ENABLED"}})),
      paused_(jobs_.Add({{"state", "PAUSED"}})) {}

void SchedulerMetrics::RecordAttempt(const std::string& job, AttemptResult result) {
  runs_.Add({{"job", job}, {"result", std::string(ResultName(result))}}).Increment();
}

void SchedulerMetrics::ObserveLateness(absl::Duration lateness) {
  lateness_.Observe(absl::ToDoubleSeconds(lateness));
}

void SchedulerMetrics::SetJobCounts(int enabled, int paused) {
  enabled_.Set(enabled);
  paused_.Set(paused);
}

std::string SchedulerMetrics::Serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace schedsvc::scheduler
