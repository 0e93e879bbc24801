// DrainUntilSentinel: proves a subscription holds no deliverable message other than a sentinel the
// caller has just published. An empty Pull alone proves nothing, so the sentinel is the positive
// control: the pulls go on until it arrives, then a few more to collect stragglers. Shared by the
// Pub/Sub client and schedule-service integration fixtures. Header-only.
//
// Call it only after every message the test expects settled has had its ack deadline pass (an unacked
// one is then deliverable again) and after the subscribers are gone: the emulator keeps routing messages
// to cancelled StreamingPull streams until their TCP connection closes. Even then the emulator has been
// seen to hand the sentinel to such a stream and deliver it only once its ack deadline expired (a
// 48 s run with a 10 s deadline), so the default timeout covers a few ack deadlines.
#ifndef SCHEDSVC_INTEGRATION_TESTS_SENTINEL_DRAIN_H_
#define SCHEDSVC_INTEGRATION_TESTS_SENTINEL_DRAIN_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/pubsub/admin_client.h"

namespace schedsvc::integration {

struct DrainReport {
  bool sentinel_seen = false;
  std::vector<std::string> others;  // ids of every other message pulled (none are acked)
  int pulls = 0;
  std::vector<std::string> errors;  // failed Pull calls, for the failure message

  std::string Describe() const {
    return absl::StrCat(pulls, " pulls, sentinel ", sentinel_seen ? "seen" : "NOT seen", ", ", others.size(),
                        " other message(s), ", errors.size(), " failed pull(s)",
                        errors.empty() ? "" : absl::StrCat(": ", absl::StrJoin(errors, "; ")));
  }
};

inline DrainReport DrainUntilSentinel(pubsub::AdminClient& admin, const std::string& subscription,
                                      const std::string& sentinel_id, absl::Duration timeout = absl::Seconds(75)) {
  constexpr int kPullsAfterSentinel = 2;
  DrainReport report;
  int pulls_after = 0;
  const absl::Time deadline = absl::Now() + timeout;
  while (pulls_after < kPullsAfterSentinel && absl::Now() < deadline) {
    // Long polls: up to 2 s for the sentinel, then short ones for anything behind it.
    const absl::Duration wait = report.sentinel_seen ? absl::Milliseconds(500) : absl::Seconds(2);
    auto pulled = admin.PullWaiting(subscription, 1000, wait);
    ++report.pulls;
    if (!pulled.ok()) {
      if (report.errors.size() < 5) report.errors.push_back(pulled.status().ToString());
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    for (const auto& r : *pulled) {
      if (r.message().message_id() == sentinel_id) {
        report.sentinel_seen = true;
      } else {
        report.others.push_back(r.message().message_id());
      }
    }
    if (report.sentinel_seen) ++pulls_after;
  }
  return report;
}

}  // namespace schedsvc::integration

#endif  // SCHEDSVC_INTEGRATION_TESTS_SENTINEL_DRAIN_H_
