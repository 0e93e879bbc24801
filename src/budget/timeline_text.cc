#include "src/budget/timeline_text.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/duration.h"

namespace schedsvc::budget {
namespace {

constexpr int kOffsetWidth = 10;

std::string Fmt(absl::Duration d) {
  return d == absl::ZeroDuration() ? std::string("0s") : FormatDurationText(d);
}

bool IsGatewayEvent(EventKind kind) {
  return kind == EventKind::kGatewayTry || kind == EventKind::kGatewayDelay ||
         kind == EventKind::kGatewayCut;
}

// Gateway detail is printed for the first attempt only; later attempts repeat it.
// With many attempts, attempts 3..n-1 (and the backoffs after them) are elided.
bool Hidden(const TimelineEvent& e, int attempts) {
  if (IsGatewayEvent(e.kind) && e.attempt > 1) return true;
  return attempts > kMaxPrintedAttempts && e.attempt >= 3 && e.attempt <= attempts - 1;
}

void RenderBackend(const BackendBudget& b, bool push, std::string& out) {
  absl::StrAppend(&out, "\nbackend ", b.backend, "\n");
  if (b.gateway_total > absl::ZeroDuration()) {
    absl::StrAppend(&out, "  gateway worst case ", Fmt(b.gateway_total), "; one attempt costs ",
                    Fmt(b.attempt_cost), " (the smaller of our timeout and the gateway's total)\n");
  } else {
    absl::StrAppend(&out, "  no gateway; one attempt costs its timeout, ", Fmt(b.attempt_cost), "\n");
  }
  absl::StrAppend(&out, "  timeline of one delivery, worst case (every attempt fails late, no jitter):\n");
  bool elided = false;
  for (const TimelineEvent& e : b.events) {
    if (Hidden(e, b.attempts)) {
      if (!IsGatewayEvent(e.kind) && !elided) {
        elided = true;
        absl::StrAppend(&out, absl::StrFormat("    %-*s", kOffsetWidth, "..."), "attempts 3 to ",
                        b.attempts - 1, " repeat the same pattern\n");
      }
      continue;
    }
    std::string text = e.text;
    if (e.kind == EventKind::kAttemptStart && e.attempt > 1 && b.gateway_total > absl::ZeroDuration()) {
      absl::StrAppend(&text, ", gateway as in attempt 1");
    }
    const bool marker =
        e.kind == EventKind::kAckDeadline || e.kind == EventKind::kLeaseLimit || e.kind == EventKind::kAnswerDue;
    const char* indent = IsGatewayEvent(e.kind) ? "    " : (marker ? "-- " : "");
    absl::StrAppend(&out, absl::StrFormat("    %-*s", kOffsetWidth, absl::StrCat("+", Fmt(e.offset))),
                    indent, text, marker ? " --" : "", "\n");
  }
  absl::StrAppend(&out, "  worst case of one delivery: ", Fmt(b.delivery_total), " (", b.attempts,
                  b.attempts == 1 ? " attempt" : " attempts", push ? "); answer due at " : "); protected for ",
                  Fmt(b.protected_for), "\n");
  if (b.attempts_unlimited) {
    absl::StrAppend(&out, "  no attempt limit (retry.max_attempts 0): attempts go on until the budget of ",
                    Fmt(b.delivery_budget), " is spent\n");
  }
  if (b.max_delivery_attempts > 0 && push) {
    absl::StrAppend(&out, "  ", b.max_delivery_attempts, " deliveries until dead-lettered: up to ",
                    Fmt(b.all_deliveries_total), " when each runs until its answer is due (Pub/Sub's retryPolicy "
                    "backoff ", Fmt(b.redelivery_delay), " after delivery 1, doubling)\n");
  } else if (b.max_delivery_attempts > 0) {
    absl::StrAppend(&out, "  ", b.max_delivery_attempts, " deliveries until dead-lettered: up to ",
                    Fmt(b.all_deliveries_total), " (redelivery delay ", Fmt(b.redelivery_delay),
                    " after delivery 1, doubling)\n");
  }
  if (push) {
    absl::StrAppend(&out, "  push cannot hold a message during an outage: each failed delivery spends a delivery "
                          "attempt, and after the last the message is in the dead-letter topic\n");
  }
  if (b.survived_outage == absl::InfiniteDuration()) {
    absl::StrAppend(&out, "  backend outage survived without a dead letter: unbounded (no dead-letter policy)\n");
  } else {
    absl::StrAppend(&out, "  backend outage survived without a dead letter: at least ", Fmt(b.survived_outage),
                    b.survived_outage >= b.expected_outage ? " (expected at least " : " (LESS than the expected ",
                    Fmt(b.expected_outage), ")\n");
  }
  absl::StrAppend(&out, "  verdict: ", b.verdict == Verdict::kOk ? "OK" : "VIOLATION", "\n");
  for (const std::string& v : b.violations) absl::StrAppend(&out, "    - ", v, "\n");
  for (const std::string& w : b.warnings) absl::StrAppend(&out, "  warning: ", w, "\n");
}

}  // namespace

std::string RenderTimeBudget(const BudgetReport& report) {
  std::string out;
  if (report.ingest == config::IngestMode::kPush) {
    absl::StrAppend(&out, "ingest push, push.ack_deadline ", Fmt(report.push_ack_deadline), " (answer due at ",
                    Fmt(report.push_delivery_budget), "), subscription ack deadline ",
                    Fmt(report.limits.ack_deadline), ", max delivery attempts ",
                    report.limits.max_delivery_attempts > 0 ? absl::StrCat(report.limits.max_delivery_attempts)
                                                            : std::string("unbounded (no dead-letter policy)"),
                    ", retryPolicy ", Fmt(report.limits.retry_minimum_backoff), "..",
                    Fmt(report.limits.retry_maximum_backoff), ", message retention ",
                    Fmt(report.limits.message_retention), "\n");
  } else {
    absl::StrAppend(&out, "ack_mode ",
                    report.ack_mode == config::AckMode::kOnReceipt ? "on-receipt" : "after-success",
                    ", ack deadline ", Fmt(report.limits.ack_deadline), ", lease.max_extension ",
                    Fmt(report.lease_max_extension), ", max delivery attempts ",
                    report.limits.max_delivery_attempts > 0
                        ? absl::StrCat(report.limits.max_delivery_attempts)
                        : std::string("unbounded (no dead-letter policy)"),
                    ", message retention ", Fmt(report.limits.message_retention), "\n");
  }
  for (const std::string& w : report.warnings) absl::StrAppend(&out, "WARNING: ", w, "\n");
  for (const BackendBudget& b : report.backends) {
    RenderBackend(b, report.ingest == config::IngestMode::kPush, out);
  }
  int violations = 0;
  for (const BackendBudget& b : report.backends) violations += b.verdict == Verdict::kViolation;
  if (violations == 0) {
    absl::StrAppend(&out, "\nresult: OK (", report.backends.size(), " backend",
                    report.backends.size() == 1 ? "" : "s", " within budget)\n");
  } else {
    absl::StrAppend(&out, "\nresult: VIOLATION in ", violations, " of ", report.backends.size(),
                    " backend", report.backends.size() == 1 ? "" : "s", "\n");
  }
  return out;
}

}  // namespace schedsvc::budget
