// RecentDeliveries: a bounded ring of the most recent Pub/Sub deliveries whose outcome the dispatch stage
// has decided, for operators and the local console (the admin port's /debug/deliveries, in the spirit of
// zPages). The MessageDispatcher adds one record per delivery when it settles it (pull and push ingest
// alike): delivered, handed back to Pub/Sub, dead-lettered, or lost (on-receipt mode). A held or retried
// message is not recorded until its delivery ends.
//
// Bounded memory: at most `capacity` records; the oldest is overwritten. A record never holds the message
// body, a header or a credential: MakeDeliveryRecord copies at most kMaxRecordAttributes attributes, each
// value cut to kMaxRecordAttributeValueBytes (at a UTF-8 boundary), at most kMaxRecordAttributeBytes in
// all, hides credentials before cutting (RedactAttributeValue, src/common/credential_redaction.h: the
// whole value of an attribute whose name looks like a credential, URL user info and credential query
// parameters inside the others; the same inside the reason), and cuts the other strings; whatever was cut
// or left out sets `truncated`.
//
// Owned by ScheduleService; the dispatcher and the admin server keep a pointer. Thread-safe: Add() is
// O(1) (a pointer swap under a mutex); Snapshot() copies the pointers under the same mutex and filters and
// copies the records after releasing it, so a large snapshot never keeps the dispatcher waiting.
#ifndef SCHEDSVC_DISPATCH_RECENT_DELIVERIES_H_
#define SCHEDSVC_DISPATCH_RECENT_DELIVERIES_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace schedsvc::dispatch {

// How a delivery ended.
enum class FinalOutcome {
  kDelivered,     // "delivered": the backend answered 2xx; acked
  kHandedBack,    // "handed_back": nacked for Pub/Sub to redeliver (reason: the nack reason)
  kDeadLettered,  // "dead_lettered": published to the dead-letter topic, then acked
  kLost,          // "lost": on-receipt mode, acked on arrival and neither delivered nor dead-lettered
};

inline constexpr FinalOutcome kAllFinalOutcomes[] = {FinalOutcome::kDelivered, FinalOutcome::kHandedBack,
                                                     FinalOutcome::kDeadLettered, FinalOutcome::kLost};

// Returns "delivered", "handed_back", "dead_lettered" or "lost".
absl::string_view FinalOutcomeName(FinalOutcome outcome);
// Returns the outcome named `name` (as FinalOutcomeName spells it), or nullopt.
std::optional<FinalOutcome> ParseFinalOutcome(absl::string_view name);

// Bounds of one record (see the header comment).
inline constexpr std::size_t kMaxRecordAttributes = 32;
inline constexpr std::size_t kMaxRecordAttributeValueBytes = 256;
inline constexpr std::size_t kMaxRecordAttributeKeyBytes = 256;
// All attribute names and values of one record together.
inline constexpr std::size_t kMaxRecordAttributeBytes = 2048;
// Message ids, backend names, reason codes.
inline constexpr std::size_t kMaxRecordIdBytes = 256;
inline constexpr std::size_t kMaxRecordReasonBytes = 512;
struct DeliveryRecord {
  // Wall-clock time the outcome was decided.
  absl::Time time = absl::InfinitePast();
  std::string message_id;
  // Pub/Sub's publish time; InfinitePast when unknown.
  absl::Time publish_time = absl::InfinitePast();
  // Pub/Sub's delivery attempt; 0 when Pub/Sub sent none.
  int delivery_attempt = 0;
  // Bounded copy of the message's attributes (credential-like values and credentials inside values redacted).
  std::map<std::string, std::string> attributes;
  // The backend the message was routed to; "" when it named none configured.
  std::string backend;
  // HTTP attempts made in this delivery.
  int attempts = 0;
  // The last attempt's HTTP status; 0 when there was none or it failed below HTTP.
  int http_status = 0;
  // From arrival in the service to the decision.
  absl::Duration latency = absl::ZeroDuration();
  FinalOutcome outcome = FinalOutcome::kDelivered;
  // Machine-readable cause: "" for delivered; the nack reason for handed_back (e.g. "retry_budget_spent",
  // "circuit_open", "shutdown"); the schedsvc.reason of the dead letter (e.g. "invalid_path"); the lost
  // reason.
  std::string reason_code;
  // Human-readable cause (the schedsvc.error text for a dead letter); "" for delivered.
  std::string reason;
  // True when an attribute, value or string was cut or left out.
  bool truncated = false;
};

// Returns a record of the given fields within the bounds above (attributes filtered, strings cut).
// `time` is `decided`; every other field is copied as given.
DeliveryRecord MakeDeliveryRecord(absl::Time decided, absl::string_view message_id, absl::Time publish_time,
                                  int delivery_attempt, const std::map<std::string, std::string>& attributes,
                                  absl::string_view backend, int attempts, int http_status,
                                  absl::Duration latency, FinalOutcome outcome, absl::string_view reason_code,
                                  absl::string_view reason);

// What Snapshot() returns; an unset field matches every record.
struct DeliveryFilter {
  std::optional<std::string> backend;
  std::optional<FinalOutcome> outcome;
  // At most this many records (the newest that match); nullopt = all.
  std::optional<std::size_t> limit;
};

class RecentDeliveries {
 public:
  // `capacity` >= 1 (the config's admin.recent_deliveries; 0 means no ring at all).
  explicit RecentDeliveries(std::size_t capacity);

  std::size_t capacity() const { return capacity_; }

  // Adds `record`, overwriting the oldest when full. O(1).
  void Add(DeliveryRecord record);

  // Returns copies of the records matching `filter`, newest first (by order of Add()).
  std::vector<DeliveryRecord> Snapshot(const DeliveryFilter& filter = {}) const;

 private:
  const std::size_t capacity_;
  mutable absl::Mutex mu_;
  // Ring storage: grows to capacity_, then `next_` is the oldest slot, overwritten next. Records are
  // immutable once added, so a snapshot shares them.
  std::vector<std::shared_ptr<const DeliveryRecord>> slots_ ABSL_GUARDED_BY(mu_);
  std::size_t next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_RECENT_DELIVERIES_H_
