// DlqLeases: the leases `schedctl dlq` holds on messages it pulled with unary Pull, so none is held past
// its ack deadline (which would let Pub/Sub redeliver it, and a replay publish it twice). Hold() extends
// a freshly pulled batch at once to kLeaseSeconds; Renew() re-extends every lease with less than
// kRenewMargin left (call it between pulls and while waiting for publishes); Ack() and Release() settle
// messages and forget them. The destructor releases whatever is still held. Owned by one dlq command;
// `client` and `clock` must outlive it. Not thread-safe.
#ifndef SCHEDSVC_CLI_DLQ_LEASES_H_
#define SCHEDSVC_CLI_DLQ_LEASES_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/pubsub/admin_client.h"

namespace schedsvc::cli {

class DlqLeases {
 public:
  // The ack deadline set on every held message, from the moment of the call. Pub/Sub allows 10-600 s.
  static constexpr int kLeaseSeconds = 60;
  // Renew() extends leases that end within this margin; comfortably more than one RPC timeout plus the
  // pauses between Renew() calls.
  static constexpr absl::Duration kRenewMargin = absl::Seconds(30);
  // Ack ids per Acknowledge/ModifyAckDeadline call (Pub/Sub's request size limit allows more).
  static constexpr int kMaxIdsPerCall = 1000;

  // Errors of best-effort calls (Renew, Release) are written to `err`.
  DlqLeases(pubsub::AdminClient& client, std::string subscription, Clock& clock, std::ostream& err);
  ~DlqLeases();
  DlqLeases(const DlqLeases&) = delete;
  DlqLeases& operator=(const DlqLeases&) = delete;

  // Extends the leases of `ack_ids` (just pulled) to kLeaseSeconds and holds them. On an error nothing
  // of `ack_ids` is held: they are released (best effort) and the error is returned.
  absl::Status Hold(const std::vector<std::string>& ack_ids);

  // Extends, to kLeaseSeconds, every held lease ending within kRenewMargin. Returns the number of ack ids
  // extended. A failed extension is reported to `err`; those leases keep their old end time.
  int Renew();

  // Acknowledges `ack_ids` and stops holding them (also on an error, which is returned: the lease may
  // have lapsed or the ack was lost, and Pub/Sub may deliver the message again).
  absl::Status Ack(const std::vector<std::string>& ack_ids);

  // Releases `ack_ids` (ack deadline 0: redelivered at once) and stops holding them. Best effort.
  void Release(const std::vector<std::string>& ack_ids);

  // Releases everything still held. Best effort.
  void ReleaseAll();

  // Number of ack ids held.
  int held() const { return static_cast<int>(lease_end_.size()); }

 private:
  // Calls ModifyAckDeadline(`seconds`) for `ack_ids` in chunks; returns the first error.
  // Calls `call` for each run of at most kMaxIdsPerCall ids; returns the first error (all runs are tried).
  absl::Status InChunks(const std::vector<std::string>& ack_ids,
                        absl::FunctionRef<absl::Status(const std::vector<std::string>&)> call);
  absl::Status ModifyInChunks(const std::vector<std::string>& ack_ids, int seconds);

  pubsub::AdminClient& client_;
  const std::string subscription_;
  Clock& clock_;
  std::ostream& err_;
  // Ack id -> when its lease ends (as of our last successful extension).
  std::map<std::string, absl::Time> lease_end_;
};

}  // namespace schedsvc::cli

#endif  // SCHEDSVC_CLI_DLQ_LEASES_H_
