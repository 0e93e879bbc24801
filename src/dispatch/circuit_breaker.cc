#include "src/dispatch/circuit_breaker.h"

#include <algorithm>

namespace schedsvc::dispatch {

absl::string_view CircuitStateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
    case CircuitBreaker::State::kOpen:
      return "open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(const config::CircuitBreakerConfig& config, const Clock& clock)
    : config_(config),
      clock_(clock),
      bucket_width_(std::max(config.window / kBuckets, absl::Milliseconds(1))) {}

std::int64_t CircuitBreaker::BucketIndex(absl::Time t) const {
  absl::Duration remainder;  // abseil dereferences the remainder pointer unconditionally
  return absl::IDivDuration(t - absl::UnixEpoch(), bucket_width_, &remainder);
}

bool CircuitBreaker::AllowRequest() {
  if (!config_.enabled) return true;
  absl::MutexLock lock(&mu_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (clock_.Now() < opened_at_ + config_.open_duration) return false;
      state_ = State::kHalfOpen;
      probes_in_flight_ = 0;
      probe_successes_ = 0;
      [[fallthrough]];
    case State::kHalfOpen:
      if (probes_in_flight_ + probe_successes_ >= config_.half_open_probes) return false;
      ++probes_in_flight_;
      return true;
  }
  return false;
}

void CircuitBreaker::OnSuccess() {
  if (!config_.enabled) return;
  absl::MutexLock lock(&mu_);
  switch (state_) {
    case State::kClosed:
      Record(/*failure=*/false);
      consecutive_failures_ = 0;
      return;
    case State::kHalfOpen:
      probes_in_flight_ = std::max(0, probes_in_flight_ - 1);
      if (++probe_successes_ >= config_.half_open_probes) {
        state_ = State::kClosed;
        consecutive_failures_ = 0;
        ClearWindow();
      }
      return;
    case State::kOpen:
      // A response to a request sent before the circuit opened: it changes nothing.
      return;
  }
}

void CircuitBreaker::OnFailure() {
  if (!config_.enabled) return;
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  switch (state_) {
    case State::kClosed: {
      Record(/*failure=*/true);
      ++consecutive_failures_;
      if (config_.consecutive_failures > 0 && consecutive_failures_ >= config_.consecutive_failures) {
        Open(now);
        return;
      }
      int total = 0;
      int failures = 0;
      const std::int64_t oldest = BucketIndex(now) - kBuckets + 1;
      for (const Bucket& bucket : buckets_) {
        if (bucket.index < oldest) continue;
        total += bucket.successes + bucket.failures;
        failures += bucket.failures;
      }
      if (total >= config_.minimum_requests &&
          static_cast<double>(failures) >= config_.failure_rate_threshold * total) {
        Open(now);
      }
      return;
    }
    case State::kHalfOpen:
      Open(now);
      return;
    case State::kOpen:
      return;
  }
}

void CircuitBreaker::OnAbandoned() {
  if (!config_.enabled) return;
  absl::MutexLock lock(&mu_);
  if (state_ == State::kHalfOpen) probes_in_flight_ = std::max(0, probes_in_flight_ - 1);
}

CircuitBreaker::State CircuitBreaker::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::Time CircuitBreaker::open_until() const {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kOpen) return absl::InfinitePast();
  return opened_at_ + config_.open_duration;
}

void CircuitBreaker::Record(bool failure) {
  const std::int64_t index = BucketIndex(clock_.Now());
  Bucket& bucket = buckets_[static_cast<std::size_t>(index % kBuckets)];
  if (bucket.index != index) bucket = Bucket{index, 0, 0};
  if (failure) {
    ++bucket.failures;
  } else {
    ++bucket.successes;
  }
}

void CircuitBreaker::ClearWindow() { buckets_.fill(Bucket{}); }

void CircuitBreaker::Open(absl::Time now) {
  state_ = State::kOpen;
  opened_at_ = now;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
  consecutive_failures_ = 0;
  ClearWindow();
}

}  // namespace schedsvc::dispatch
