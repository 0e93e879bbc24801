#include "src/dispatch/backend.h"

#include <utility>

namespace schedsvc::dispatch {

Backend::Backend(config::BackendConfig config, const Clock& clock, absl::Duration recheck_interval)
    : config_(std::move(config)),
      request_builder_(config_, clock, recheck_interval),
      breaker_(config_.circuit_breaker, clock),
      limiter_(config_.max_concurrency),
      schedule_(config_.retry, config_.timeout) {}

}  // namespace schedsvc::dispatch
