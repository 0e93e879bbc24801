#include "src/dispatch/recent_deliveries.h"

#include "src/common/check.h"
#include "src/common/credential_redaction.h"
#include "src/common/utf8_prefix.h"

namespace schedsvc::dispatch {
namespace {

// Utf8Prefix of `s` within `max_bytes`; sets `*cut` when it is shorter than `s`.
std::string CutUtf8(absl::string_view s, std::size_t max_bytes, bool* cut) {
  if (s.size() > max_bytes) *cut = true;
  return std::string(Utf8Prefix(s, max_bytes));
}

}  // namespace

absl::string_view FinalOutcomeName(FinalOutcome outcome) {
  switch (outcome) {
    case FinalOutcome::kDelivered:
      return "delivered";
    case FinalOutcome::kHandedBack:
      return "handed_back";
    case FinalOutcome::kDeadLettered:
      return "dead_lettered";
    case FinalOutcome::kLost:
      return "lost";
  }
  return "unknown";
}

std::optional<FinalOutcome> ParseFinalOutcome(absl::string_view name) {
  for (FinalOutcome outcome : kAllFinalOutcomes) {
    if (FinalOutcomeName(outcome) == name) return outcome;
  }
  return std::nullopt;
}

DeliveryRecord MakeDeliveryRecord(absl::Time decided, absl::string_view message_id, absl::Time publish_time,
                                  int delivery_attempt, const std::map<std::string, std::string>& attributes,
                                  absl::string_view backend, int attempts, int http_status,
                                  absl::Duration latency, FinalOutcome outcome, absl::string_view reason_code,
                                  absl::string_view reason) {
  DeliveryRecord r;
  bool cut = false;
  r.time = decided;
  r.message_id = CutUtf8(message_id, kMaxRecordIdBytes, &cut);
  r.publish_time = publish_time;
  r.delivery_attempt = delivery_attempt;
  std::size_t bytes = 0;
  for (const auto& [key, value] : attributes) {
    if (r.attributes.size() >= kMaxRecordAttributes) {
      cut = true;
      break;
    }
    std::string k = CutUtf8(key, kMaxRecordAttributeKeyBytes, &cut);
    // Redacted before the cut: a cut could otherwise keep the start of a password and drop its end.
    std::string v = CutUtf8(RedactAttributeValue(key, value), kMaxRecordAttributeValueBytes, &cut);
    if (bytes + k.size() + v.size() > kMaxRecordAttributeBytes) {
      cut = true;
      continue;  // a shorter one further on may still fit
    }
    bytes += k.size() + v.size();
    r.attributes.emplace(std::move(k), std::move(v));
  }
  r.backend = CutUtf8(backend, kMaxRecordIdBytes, &cut);
  r.attempts = attempts;
  r.http_status = http_status;
  r.latency = latency;
  r.outcome = outcome;
  r.reason_code = CutUtf8(reason_code, kMaxRecordIdBytes, &cut);
  r.reason = CutUtf8(RedactCredentialsInText(reason, kRedactedValue), kMaxRecordReasonBytes, &cut);
  r.truncated = cut;
  return r;
}

RecentDeliveries::RecentDeliveries(std::size_t capacity) : capacity_(capacity) {
  SCHEDSVC_CHECK(capacity >= 1);
}

void RecentDeliveries::Add(DeliveryRecord record) {
  auto added = std::make_shared<const DeliveryRecord>(std::move(record));
  // The overwritten record is released after the lock (declared before it).
  std::shared_ptr<const DeliveryRecord> old;
  absl::MutexLock lock(&mu_);
  if (slots_.size() < capacity_) {
    slots_.push_back(std::move(added));
    return;
  }
  old = std::exchange(slots_[next_], std::move(added));
  next_ = (next_ + 1) % capacity_;
}

std::vector<DeliveryRecord> RecentDeliveries::Snapshot(const DeliveryFilter& filter) const {
  std::vector<DeliveryRecord> out;
  if (filter.limit.has_value() && *filter.limit == 0) return out;
  // Newest first.
  std::vector<std::shared_ptr<const DeliveryRecord>> newest_first;
  {
    absl::MutexLock lock(&mu_);
    const std::size_t n = slots_.size();
    newest_first.reserve(n);
    // Until the ring is full the newest is last; after, it sits just before next_.
    const std::size_t newest = n < capacity_ ? n - 1 : (next_ + capacity_ - 1) % capacity_;
    for (std::size_t i = 0; i < n; ++i) newest_first.push_back(slots_[(newest + n - i) % n]);
  }
  for (const auto& r : newest_first) {
    if (filter.backend.has_value() && r->backend != *filter.backend) continue;
    if (filter.outcome.has_value() && r->outcome != *filter.outcome) continue;
    out.push_back(*r);
    if (filter.limit.has_value() && out.size() >= *filter.limit) break;
  }
  return out;
}

}  // namespace schedsvc::dispatch
