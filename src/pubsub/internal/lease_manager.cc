#include "src/pubsub/internal/lease_manager.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace schedsvc::pubsub_internal {
namespace {

// Refresh runs often enough that a lease is looked at several times per step.
constexpr int kRefreshesPerStep = 6;
constexpr absl::Duration kMinRefreshPeriod = absl::Seconds(1);
constexpr absl::Duration kMaxRefreshPeriod = absl::Seconds(10);

}  // namespace

LeaseManager::LeaseManager(Executor& executor, Clock& clock, DeadlineSink sink, LeaseOptions options)
    : executor_(executor),
      clock_(clock),
      sink_(std::move(sink)),
      options_(options),
      refresh_period_(std::clamp(options.extension_step / kRefreshesPerStep, kMinRefreshPeriod, kMaxRefreshPeriod)) {}

void LeaseManager::Start() {
  {
    absl::MutexLock lock(&mu_);
    running_ = true;
  }
  ScheduleRefresh();
}

void LeaseManager::Stop() {
  absl::MutexLock lock(&mu_);
  running_ = false;
  if (timer_ != 0) executor_.Cancel(timer_);
  timer_ = 0;
}

void LeaseManager::ScheduleRefresh() {
  std::weak_ptr<LeaseManager> weak = weak_from_this();
  absl::MutexLock lock(&mu_);
  if (!running_) return;
  timer_ = executor_.RunAfter(refresh_period_, [weak] {
    if (auto self = weak.lock()) {
      self->Refresh();
      self->ScheduleRefresh();
    }
  });
}

void LeaseManager::Add(const std::string& ack_id, std::int64_t bytes) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  leases_[ack_id] = Lease{now, now + options_.extension_step, bytes, false};
}

std::int64_t LeaseManager::Remove(const std::string& ack_id) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(ack_id);
  if (it == leases_.end()) return -1;
  std::int64_t bytes = it->second.bytes;
  leases_.erase(it);
  return bytes;
}

std::vector<std::string> LeaseManager::TakeAll() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  ids.reserve(leases_.size());
  for (auto& [id, lease] : leases_) ids.push_back(id);
  leases_.clear();
  return ids;
}

void LeaseManager::Refresh() {
  const absl::Time now = clock_.Now();
  // An extension is due once less than half a step remains: that leaves the RPC a wide margin.
  const absl::Duration lead = options_.extension_step / 2;
  std::map<int, std::vector<std::string>> by_seconds;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, lease] : leases_) {
      if (lease.expired || lease.deadline - now > lead) continue;
      const absl::Time limit = lease.received + options_.max_extension;
      const absl::Time target = std::min(now + options_.extension_step, limit);
      if (target <= lease.deadline || target <= now) {
        // Nothing left to extend: the message will be redelivered once its current deadline passes.
        lease.expired = true;
        ++expiries_;
        continue;
      }
      const int seconds = static_cast<int>(std::ceil(absl::ToDoubleSeconds(target - now)));
      lease.deadline = now + absl::Seconds(seconds);
      by_seconds[seconds].push_back(id);
      ++extensions_;
    }
  }
  for (auto& [seconds, ids] : by_seconds) sink_(std::move(ids), seconds);
}

std::size_t LeaseManager::size() const {
  absl::MutexLock lock(&mu_);
  return leases_.size();
}

std::int64_t LeaseManager::extensions() const {
  absl::MutexLock lock(&mu_);
  return extensions_;
}

std::int64_t LeaseManager::expiries() const {
  absl::MutexLock lock(&mu_);
  return expiries_;
}

absl::Time LeaseManager::oldest_receive_time() const {
  absl::MutexLock lock(&mu_);
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& [id, lease] : leases_) oldest = std::min(oldest, lease.received);
  return oldest;
}

}  // namespace schedsvc::pubsub_internal
