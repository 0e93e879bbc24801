#include "src/cli/dlq_leases.h"

#include <algorithm>
#include <utility>

namespace schedsvc::cli {

DlqLeases::DlqLeases(pubsub::AdminClient& client, std::string subscription, Clock& clock, std::ostream& err)
    : client_(client), subscription_(std::move(subscription)), clock_(clock), err_(err) {}

DlqLeases::~DlqLeases() { ReleaseAll(); }

absl::Status DlqLeases::InChunks(const std::vector<std::string>& ack_ids,
                                 absl::FunctionRef<absl::Status(const std::vector<std::string>&)> call) {
  absl::Status first;
  for (size_t i = 0; i < ack_ids.size(); i += kMaxIdsPerCall) {
    std::vector<std::string> chunk(ack_ids.begin() + i,
                                   ack_ids.begin() + std::min(ack_ids.size(), i + kMaxIdsPerCall));
    absl::Status s = call(chunk);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

absl::Status DlqLeases::ModifyInChunks(const std::vector<std::string>& ack_ids, int seconds) {
  return InChunks(ack_ids, [&](const std::vector<std::string>& chunk) {
    return client_.ModifyAckDeadline(subscription_, chunk, seconds);
  });
}

absl::Status DlqLeases::Hold(const std::vector<std::string>& ack_ids) {
  if (ack_ids.empty()) return absl::OkStatus();
  // The end time is counted from before the call, so it is never later than Pub/Sub's.
  const absl::Time end = clock_.Now() + absl::Seconds(kLeaseSeconds);
  absl::Status s = ModifyInChunks(ack_ids, kLeaseSeconds);
  if (!s.ok()) {
    // Their leases may be about to lapse: give them back rather than hold them unprotected.
    ModifyInChunks(ack_ids, 0).IgnoreError();
    return s;
  }
  for (const auto& id : ack_ids) lease_end_[id] = end;
  return absl::OkStatus();
}

int DlqLeases::Renew() {
  const absl::Time now = clock_.Now();
  std::vector<std::string> due;
  for (const auto& [id, end] : lease_end_) {
    if (end - now < kRenewMargin) due.push_back(id);
  }
  if (due.empty()) return 0;
  const absl::Time end = now + absl::Seconds(kLeaseSeconds);
  absl::Status s = ModifyInChunks(due, kLeaseSeconds);
  if (!s.ok()) {
    err_ << "schedctl dlq: extending the lease of " << due.size() << " message(s): " << s.message()
         << " (Pub/Sub may deliver them again)\n";
    return 0;
  }
  for (const auto& id : due) lease_end_[id] = end;
  return static_cast<int>(due.size());
}

absl::Status DlqLeases::Ack(const std::vector<std::string>& ack_ids) {
  absl::Status first = InChunks(ack_ids, [&](const std::vector<std::string>& chunk) {
    return client_.Acknowledge(subscription_, chunk);
  });
  for (const auto& id : ack_ids) lease_end_.erase(id);
  return first;
}

void DlqLeases::Release(const std::vector<std::string>& ack_ids) {
  if (ack_ids.empty()) return;
  absl::Status s = ModifyInChunks(ack_ids, 0);
  if (!s.ok()) {
    err_ << "schedctl dlq: releasing " << ack_ids.size() << " message(s): " << s.message()
         << " (they return to the subscription when their lease ends)\n";
  }
  for (const auto& id : ack_ids) lease_end_.erase(id);
}

void DlqLeases::ReleaseAll() {
  std::vector<std::string> all;
  all.reserve(lease_end_.size());
  for (const auto& [id, end] : lease_end_) all.push_back(id);
  Release(all);
}

}  // namespace schedsvc::cli
