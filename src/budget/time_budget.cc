#include "src/budget/time_budget.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/common/duration.h"

namespace schedsvc::budget {
namespace {

std::string Fmt(absl::Duration d) { return FormatDurationText(d); }

// Adds the gateway's tries and delays inside our attempt starting at `start`, cut at `limit` (our
// attempt timeout). Returns the offset (relative to `start`) at which the gateway finishes or is cut.
absl::Duration AddGatewayEvents(const config::GatewayConfig& gw, int attempt, absl::Duration start,
                                absl::Duration limit, std::vector<TimelineEvent>& events) {
  absl::Duration t = absl::ZeroDuration();
  const int tries = 1 + gw.retries;
  for (int k = 1; k <= tries; ++k) {
    if (k > 1) {
      const absl::Duration delay =
          k - 2 < static_cast<int>(gw.retry_delays.size()) ? gw.retry_delays[k - 2] : absl::ZeroDuration();
      if (delay > absl::ZeroDuration()) {
        if (t + delay >= limit) {
          events.push_back({EventKind::kGatewayCut, start + limit, absl::ZeroDuration(), attempt, k,
                            absl::StrCat("our timeout cuts the gateway while it waits to retry")});
          return limit;
        }
        events.push_back({EventKind::kGatewayDelay, start + t, delay, attempt, k,
                          absl::StrCat("gateway waits ", Fmt(delay), " before try ", k)});
        t += delay;
      }
    }
    if (t >= limit) {
      events.push_back({EventKind::kGatewayCut, start + limit, absl::ZeroDuration(), attempt, k,
                        absl::StrCat("our timeout cuts the gateway before try ", k, " of ", tries)});
      return limit;
    }
    const absl::Duration span = std::min(gw.timeout, limit - t);
    events.push_back({EventKind::kGatewayTry, start + t, span, attempt, k,
                      absl::StrCat("gateway try ", k, " of ", tries, " (gateway timeout ",
                                   Fmt(gw.timeout), ")")});
    t += gw.timeout;
    if (t > limit) {
      events.push_back({EventKind::kGatewayCut, start + limit, absl::ZeroDuration(), attempt, k,
                        absl::StrCat("our timeout cuts gateway try ", k, " of ", tries)});
      return limit;
    }
  }
  return t;
}

BackendBudget ComputeBackend(const config::ServiceConfig& config, const config::BackendConfig& b,
                             const SubscriptionLimits& limits) {
  BackendBudget out;
  out.backend = b.name;
  out.attempts = b.retry.max_attempts;
  out.gateway_total = GatewayTotal(b.gateway);
  const bool has_gateway = out.gateway_total > absl::ZeroDuration();
  out.attempt_cost = has_gateway ? std::min(b.timeout, out.gateway_total) : b.timeout;

  absl::Duration t = absl::ZeroDuration();
  for (int i = 1; i <= out.attempts; ++i) {
    out.events.push_back({EventKind::kAttemptStart, t, out.attempt_cost, i, 0,
                          absl::StrCat("attempt ", i, " of ", out.attempts, " starts (timeout ",
                                       Fmt(b.timeout), ")")});
    if (has_gateway) AddGatewayEvents(b.gateway, i, t, b.timeout, out.events);
    t += out.attempt_cost;
    const bool cut = has_gateway && b.timeout < out.gateway_total;
    std::string why;
    if (!has_gateway) {
      why = "times out";
    } else if (cut) {
      why = "times out (gateway still busy)";
    } else {
      why = "fails: gateway gave up";
    }
    out.events.push_back(
        {EventKind::kAttemptEnd, t, absl::ZeroDuration(), i, 0, absl::StrCat("attempt ", i, " ", why)});
    if (i < out.attempts) {
      const absl::Duration backoff = WorstCaseBackoff(b.retry, i);
      out.events.push_back({EventKind::kBackoff, t, backoff, i, 0,
                            absl::StrCat("backoff ", Fmt(backoff), " before attempt ", i + 1)});
      t += backoff;
    }
  }
  out.delivery_total = t;
  out.redelivery_delay =
      std::min(WorstCaseBackoff(b.retry, out.attempts), absl::Seconds(kMaxNackDelaySeconds));
  out.events.push_back({EventKind::kDeliveryEnd, t, absl::ZeroDuration(), 0, 0,
                        absl::StrCat("attempts spent: nack with delay ", Fmt(out.redelivery_delay),
                                     " (Pub/Sub redelivers)")});

  const bool after_success = config.ack_mode == config::AckMode::kAfterSuccess;
  const bool extends = after_success && config.lease_max_extension > limits.ack_deadline;
  out.protected_for = extends ? config.lease_max_extension : limits.ack_deadline;

  TimelineEvent deadline{EventKind::kAckDeadline, limits.ack_deadline, absl::ZeroDuration(), 0, 0, ""};
  if (after_success) {
    deadline.text = absl::StrCat("ack deadline ", Fmt(limits.ack_deadline),
                                 extends ? std::string(" (lease extended past it)")
                                         : absl::StrCat(" (lease.max_extension ",
                                                        Fmt(config.lease_max_extension),
                                                        " does not reach past it)"));
  } else {
    deadline.text = absl::StrCat("ack deadline ", Fmt(limits.ack_deadline),
                                 " (on-receipt: never extended)");
  }
  out.events.push_back(deadline);
  if (extends) {
    out.events.push_back({EventKind::kLeaseLimit, config.lease_max_extension, absl::ZeroDuration(), 0,
                          0,
                          absl::StrCat("lease.max_extension ", Fmt(config.lease_max_extension),
                                       ": the lease is no longer extended")});
  }
  // Instants at the same offset as a span keep their computed order (stable sort).
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.offset < b.offset; });

  if (out.delivery_total > out.protected_for) {
    if (!after_success) {
      out.violations.push_back(absl::StrCat(
          "worst case ", Fmt(out.delivery_total), " > ack deadline ", Fmt(limits.ack_deadline),
          " and ack_mode on-receipt never extends the lease: if the early ack is lost, Pub/Sub "
          "redelivers while the first copy is still running"));
    } else if (extends) {
      out.violations.push_back(absl::StrCat(
          "worst case ", Fmt(out.delivery_total), " > lease.max_extension ",
          Fmt(config.lease_max_extension),
          ": the lease lapses and Pub/Sub redelivers while the first copy is still running (raise "
          "lease.max_extension or lower timeout / retry.max_attempts / gateway retries)"));
    } else {
      out.violations.push_back(absl::StrCat(
          "worst case ", Fmt(out.delivery_total), " > ack deadline ", Fmt(limits.ack_deadline),
          " and lease.max_extension ", Fmt(config.lease_max_extension),
          " does not extend past it: Pub/Sub redelivers while the first copy is still running"));
    }
  }

  out.max_delivery_attempts = limits.max_delivery_attempts;
  if (limits.max_delivery_attempts > 0) {
    const int m = limits.max_delivery_attempts;
    out.all_deliveries_total = out.delivery_total * m + out.redelivery_delay * (m - 1);
    if (out.all_deliveries_total > limits.message_retention) {
      out.violations.push_back(absl::StrCat(
          m, " deliveries take up to ", Fmt(out.all_deliveries_total), " > message retention ",
          Fmt(limits.message_retention), ": the message expires before it is dead-lettered"));
    }
  } else {
    out.warnings.push_back(
        "the subscription has no dead-letter policy: a failing message is redelivered until the "
        "message retention expires");
  }

  if (has_gateway && b.timeout < out.gateway_total) {
    out.warnings.push_back(absl::StrCat(
        "timeout ", Fmt(b.timeout), " < gateway total ", Fmt(out.gateway_total),
        ": we give up while the gateway may still be retrying the backend, so the backend can run "
        "the same request again (Idempotency-Key lets it deduplicate)"));
  }
  if (has_gateway && b.timeout < b.gateway.timeout) {
    out.warnings.push_back(absl::StrCat("timeout ", Fmt(b.timeout), " < gateway.timeout ",
                                        Fmt(b.gateway.timeout),
                                        ": the gateway's own retries can never happen"));
  }
  out.verdict = out.violations.empty() ? Verdict::kOk : Verdict::kViolation;
  return out;
}

}  // namespace

bool BudgetReport::ok() const {
  return std::all_of(backends.begin(), backends.end(),
                     [](const BackendBudget& b) { return b.verdict == Verdict::kOk; });
}

absl::Duration GatewayTotal(const config::GatewayConfig& gateway) {
  if (gateway.timeout <= absl::ZeroDuration()) return absl::ZeroDuration();
  absl::Duration total = gateway.timeout * (1 + gateway.retries);
  for (absl::Duration d : gateway.retry_delays) total += d;
  return total;
}

absl::Duration WorstCaseBackoff(const config::RetryConfig& retry, int attempt) {
  // Multiply step by step and stop at the cap, so large multipliers cannot overflow.
  absl::Duration backoff = std::min(retry.initial_backoff, retry.max_backoff);
  for (int i = 1; i < attempt && backoff < retry.max_backoff; ++i) {
    backoff = std::min(backoff * retry.multiplier, retry.max_backoff);
  }
  return backoff;
}

BudgetReport ComputeTimeBudget(const config::ServiceConfig& config, const SubscriptionLimits& limits) {
  BudgetReport report;
  report.ack_mode = config.ack_mode;
  report.limits = limits;
  report.lease_max_extension = config.lease_max_extension;
  if (config.ack_mode == config::AckMode::kOnReceipt) {
    report.warnings.push_back(
        "ack_mode on-receipt: messages are acked before they are processed (at-most-once). A crash "
        "loses them, and Pub/Sub's redelivery and dead-letter policy cannot help; use after-success");
  }
  for (const config::BackendConfig& b : config.backends) {
    report.backends.push_back(ComputeBackend(config, b, limits));
  }
  return report;
}

}  // namespace schedsvc::budget
