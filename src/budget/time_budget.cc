#include "src/budget/time_budget.h"

#include <algorithm>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/common/duration.h"
#include "src/dispatch/delivery_budget.h"
#include "src/dispatch/redelivery_delay.h"
#include "src/dispatch/retry_schedule.h"
#include "src/pubsub/limits.h"

namespace schedsvc::budget {
namespace {

std::string Fmt(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "unbounded";
  return d == absl::ZeroDuration() ? std::string("0s") : FormatDurationText(d);
}

// Attempts modelled in one delivery at most (a tiny timeout and backoff in a long budget).
constexpr int kMaxModelledAttempts = 1000;

// What lengthens the outage a backend survives, given what its config does now.
// All maxDeliveryAttempts deliveries of `each`, with `wait_before(k)` between delivery k and k+1, against
// the message retention (a violation when the message would expire first); without a dead-letter policy a
// warning that a failing message is `again` until the retention expires.
void AddAllDeliveries(const SubscriptionLimits& limits, absl::Duration each,
                      absl::FunctionRef<absl::Duration(int)> wait_before, absl::string_view again,
                      BackendBudget& out) {
  if (limits.max_delivery_attempts <= 0) {
    out.warnings.push_back(absl::StrCat("the subscription has no dead-letter policy: a failing message is ", again,
                                        " until the message retention expires"));
    return;
  }
  const int m = limits.max_delivery_attempts;
  out.all_deliveries_total = each * m;
  for (int k = 1; k < m; ++k) out.all_deliveries_total += wait_before(k);
  if (out.all_deliveries_total > limits.message_retention) {
    out.violations.push_back(absl::StrCat(m, " deliveries take up to ", Fmt(out.all_deliveries_total),
                                          " > message retention ", Fmt(limits.message_retention),
                                          ": the message expires before it is dead-lettered"));
  }
}

std::string OutageAdvice(const config::ServiceConfig& config, const config::BackendConfig& b) {
  std::vector<std::string> advice;
  if (config.ack_mode == config::AckMode::kOnReceipt) {
    advice.push_back("use ack_mode after-success (on-receipt dead-letters after one delivery)");
  }
  if (b.retry.max_attempts > 0) advice.push_back("set retry.max_attempts to 0 (retry while the budget lasts)");
  if (!b.circuit_breaker.enabled || b.circuit_breaker.consecutive_failures == 0) {
    advice.push_back("enable circuit_breaker.consecutive_failures (hold messages while the backend is down)");
  }
  if (b.circuit_breaker.max_hold > absl::ZeroDuration()) advice.push_back("set circuit_breaker.max_hold to 0");
  advice.push_back("raise lease.max_extension, redelivery.initial_delay or the subscription's maxDeliveryAttempts");
  return absl::StrJoin(advice, "; ");
}

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

// Fills the timeline of one delivery of backend `b` within `delivery_budget` (L): the attempt, gateway
// and backoff events, gateway_total, attempt_cost, attempts and delivery_total of `out`.
void AddDeliveryTimeline(const config::BackendConfig& b, absl::Duration delivery_budget, BackendBudget& out) {
  out.gateway_total = GatewayTotal(b.gateway);
  const bool has_gateway = out.gateway_total > absl::ZeroDuration();
  out.attempt_cost = has_gateway ? std::min(b.timeout, out.gateway_total) : b.timeout;
  out.delivery_budget = delivery_budget;
  const int cap = b.retry.max_attempts;
  out.attempts_unlimited = cap == 0;

  absl::Duration t = absl::ZeroDuration();
  for (int i = 1;; ++i) {
    // Without an attempt cap, later attempts are clipped to the budget as the dispatcher clips them; the
    // first one is not, so an attempt that alone outlasts the budget shows as a violation.
    const absl::Duration cost =
        out.attempts_unlimited && i > 1 ? std::min(out.attempt_cost, out.delivery_budget - t) : out.attempt_cost;
    const std::string of = out.attempts_unlimited ? std::string() : absl::StrCat(" of ", cap);
    out.events.push_back({EventKind::kAttemptStart, t, cost, i, 0,
                          absl::StrCat("attempt ", i, of, " starts (timeout ", Fmt(b.timeout), ")")});
    if (has_gateway) AddGatewayEvents(b.gateway, i, t, std::min(b.timeout, cost), out.events);
    t += cost;
    const bool cut = has_gateway && b.timeout < out.gateway_total;
    std::string why;
    if (cost < out.attempt_cost) {
      why = "is cut at the end of the budget";
    } else if (!has_gateway) {
      why = "times out";
    } else if (cut) {
      why = "times out (gateway still busy)";
    } else {
      why = "fails: gateway gave up";
    }
    out.events.push_back(
        {EventKind::kAttemptEnd, t, absl::ZeroDuration(), i, 0, absl::StrCat("attempt ", i, " ", why)});
    out.attempts = i;
    if (!out.attempts_unlimited && i >= cap) break;
    const absl::Duration backoff = WorstCaseBackoff(b.retry, i);
    // The dispatcher starts no attempt that would have less than its minimum time left in the budget.
    if (out.attempts_unlimited &&
        (t + backoff + dispatch::RetrySchedule::kDefaultMinAttemptTime > out.delivery_budget ||
         i >= kMaxModelledAttempts)) {
      break;
    }
    out.events.push_back({EventKind::kBackoff, t, backoff, i, 0,
                          absl::StrCat("backoff ", Fmt(backoff), " before attempt ", i + 1)});
    t += backoff;
  }
  out.delivery_total = t;
}

// Adds the gateway warnings of backend `b` (attempt_cost and gateway_total of `out` computed).
void AddGatewayWarnings(const config::BackendConfig& b, BackendBudget& out) {
  const bool has_gateway = out.gateway_total > absl::ZeroDuration();
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
}

BackendBudget ComputeBackend(const config::ServiceConfig& config, const config::BackendConfig& b,
                             const SubscriptionLimits& limits, absl::Duration expected_outage) {
  BackendBudget out;
  out.backend = b.name;
  AddDeliveryTimeline(b, DeliveryBudget(config), out);
  const absl::Duration t = out.delivery_total;
  out.redelivery_delay = dispatch::RedeliveryDelay(config.redelivery, 1);
  const std::string spent = out.attempts_unlimited ? "budget spent" : "attempts spent";
  out.events.push_back({EventKind::kDeliveryEnd, t, absl::ZeroDuration(), 0, 0,
                        config.ack_mode == config::AckMode::kOnReceipt
                            ? absl::StrCat(spent, ": the service dead-letters it (on-receipt: already acked)")
                            : absl::StrCat(spent, ": nack with delay ", Fmt(out.redelivery_delay),
                                           " at delivery 1, growing with each (Pub/Sub redelivers)")});

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
  AddAllDeliveries(limits, out.delivery_total,
                   [&](int k) { return dispatch::RedeliveryDelay(config.redelivery, k); }, "redelivered", out);

  out.survived_outage = SurvivedOutage(config, b, limits.max_delivery_attempts);
  out.expected_outage = expected_outage;
  if (out.survived_outage < expected_outage) {
    out.warnings.push_back(absl::StrCat(
        "a backend outage longer than ", Fmt(out.survived_outage), " dead-letters messages, less than the ",
        Fmt(expected_outage), " expected (--expect-outage): ", OutageAdvice(config, b)));
  }
  if (b.circuit_breaker.max_held_messages > 0 &&
      b.circuit_breaker.max_held_messages < config.max_outstanding_messages && limits.max_delivery_attempts > 0 &&
      config.ack_mode == config::AckMode::kAfterSuccess) {
    absl::Duration overflow = absl::ZeroDuration();
    for (int k = 1; k < limits.max_delivery_attempts; ++k) overflow += dispatch::RedeliveryDelay(config.redelivery, k);
    out.warnings.push_back(absl::StrCat(
        "circuit_breaker.max_held_messages ", b.circuit_breaker.max_held_messages,
        " < flow_control.max_outstanding_messages ", config.max_outstanding_messages,
        ": at a high rate, messages that find the hold full are nacked at once, and an outage longer than ",
        Fmt(overflow), " dead-letters them (0 lets flow control bound the hold)"));
  }
  AddGatewayWarnings(b, out);
  out.verdict = out.violations.empty() ? Verdict::kOk : Verdict::kViolation;
  return out;
}

// What lengthens the outage a pushed message survives.
std::string PushOutageAdvice(const SubscriptionLimits& limits) {
  std::vector<std::string> advice;
  if (limits.max_delivery_attempts < pubsub::kMaxDeliveryAttempts) {
    advice.push_back(absl::StrCat("raise the dead-letter policy's maxDeliveryAttempts (", limits.max_delivery_attempts,
                                  ", up to ", pubsub::kMaxDeliveryAttempts, ")"));
  }
  if (limits.retry_maximum_backoff < pubsub::kMaxRetryPolicyBackoff) {
    advice.push_back(absl::StrCat("raise the retryPolicy's maximumBackoff (", Fmt(limits.retry_maximum_backoff),
                                  ", up to ", Fmt(pubsub::kMaxRetryPolicyBackoff), ")"));
  }
  advice.push_back("or use ingest: pull, which holds messages leased through an outage for lease.max_extension");
  return absl::StrJoin(advice, "; ");
}

BackendBudget ComputePushBackend(const config::ServiceConfig& config, const config::BackendConfig& b,
                                 const SubscriptionLimits& limits, absl::Duration expected_outage) {
  BackendBudget out;
  out.backend = b.name;
  const absl::Duration answer_due = PushDeliveryBudget(config);
  AddDeliveryTimeline(b, answer_due, out);
  out.redelivery_delay = PubsubRetryBackoff(limits, 1);
  const std::string spent = out.attempts_unlimited ? "budget spent" : "attempts spent";
  out.events.push_back({EventKind::kDeliveryEnd, out.delivery_total, absl::ZeroDuration(), 0, 0,
                        absl::StrCat(spent, ": answer non-2xx; Pub/Sub redelivers after its retryPolicy backoff (",
                                     Fmt(out.redelivery_delay), " after delivery 1, doubling)")});
  out.protected_for = answer_due;
  out.events.push_back({EventKind::kAnswerDue, answer_due, absl::ZeroDuration(), 0, 0,
                        absl::StrCat("answer due (push.ack_deadline ", Fmt(config.push.ack_deadline), " minus ",
                                     Fmt(config.push.ack_deadline - answer_due), " margin)")});
  out.events.push_back({EventKind::kAckDeadline, limits.ack_deadline, absl::ZeroDuration(), 0, 0,
                        absl::StrCat("ack deadline ", Fmt(limits.ack_deadline),
                                     " (push: Pub/Sub stops waiting for the answer and redelivers)")});
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.offset < b.offset; });

  if (out.delivery_total > answer_due) {
    out.violations.push_back(absl::StrCat(
        "worst case ", Fmt(out.delivery_total), " > ", Fmt(answer_due), ", when the push answer is due: Pub/Sub "
        "stops waiting and redelivers while the first copy is still running (lower timeout / retry.max_attempts / "
        "gateway retries, raise push.ack_deadline up to ", Fmt(pubsub::kMaxAckDeadline),
        ", or use ingest: pull for long calls)"));
  }
  if (limits.ack_deadline < config.push.ack_deadline) {
    out.violations.push_back(absl::StrCat(
        "the subscription's ack deadline ", Fmt(limits.ack_deadline), " < push.ack_deadline ",
        Fmt(config.push.ack_deadline), ": Pub/Sub stops waiting before the service answers (set the "
        "subscription's ackDeadlineSeconds to push.ack_deadline: schedctl pubsub apply)"));
  }

  out.max_delivery_attempts = limits.max_delivery_attempts;
  AddAllDeliveries(limits, answer_due, [&](int k) { return PubsubRetryBackoff(limits, k); }, "pushed again", out);
  out.survived_outage = SurvivedPushOutage(config, b, limits);
  out.expected_outage = expected_outage;
  if (out.survived_outage < expected_outage) {
    out.warnings.push_back(absl::StrCat(
        "a backend outage longer than ", Fmt(out.survived_outage), " can dead-letter messages, less than the ",
        Fmt(expected_outage), " expected (--expect-outage). Push cannot hold a message during an outage: each "
        "failed delivery spends one of the ", out.max_delivery_attempts, " delivery attempts and then the message "
        "is in the dead-letter topic. To survive longer: ", PushOutageAdvice(limits)));
  }
  AddGatewayWarnings(b, out);
  out.verdict = out.violations.empty() ? Verdict::kOk : Verdict::kViolation;
  return out;
}

}  // namespace

absl::Duration PushDeliveryBudget(const config::ServiceConfig& config) {
  return config.push.ack_deadline - dispatch::LeaseSafetyMargin(config.push.ack_deadline);
}

absl::Duration PubsubRetryBackoff(const SubscriptionLimits& limits, int k) {
  // Double step by step and stop at the cap, so a large k cannot overflow.
  absl::Duration backoff = std::min(limits.retry_minimum_backoff, limits.retry_maximum_backoff);
  for (int i = 1; i < k && backoff < limits.retry_maximum_backoff; ++i) {
    backoff = std::min(backoff * 2, limits.retry_maximum_backoff);
  }
  return backoff;
}

absl::Duration SurvivedPushOutage(const config::ServiceConfig& config, const config::BackendConfig& b,
                                  const SubscriptionLimits& limits) {
  const int deliveries = limits.max_delivery_attempts;
  if (deliveries <= 0) return absl::InfiniteDuration();
  const absl::Duration budget = PushDeliveryBudget(config);
  const auto& cb = b.circuit_breaker;
  const bool consecutive_rule = cb.enabled && cb.consecutive_failures > 0;
  const int cap = b.retry.max_attempts;
  const absl::Duration min_attempt = dispatch::RetrySchedule::kDefaultMinAttemptTime;
  // As in SurvivedOutage: a failure hands the delivery back (here: answers non-2xx) once a full backoff
  // draw plus the minimum attempt time no longer fits before the answer is due.
  const absl::Duration early_answer = std::min(budget, b.retry.max_backoff + min_attempt);
  absl::Duration t = absl::ZeroDuration();
  int consecutive = 0;
  absl::Duration open_until = -absl::InfiniteDuration();
  bool opened = false;
  for (int k = 1; k <= deliveries; ++k) {
    const absl::Duration start = t;
    const absl::Duration deadline = t + budget;
    int attempts = 0;
    for (int step = 0; step < 4 * kMaxModelledAttempts; ++step) {
      if (t < open_until) break;  // an open circuit answers at once: nothing holds the message
      if (t + min_attempt > deadline) {
        t = deadline;
        break;
      }
      ++attempts;
      ++consecutive;
      if (consecutive_rule && (opened || consecutive >= cb.consecutive_failures)) {
        open_until = t + cb.open_duration;
        opened = true;
      }
      if (cap > 0 && attempts >= cap) break;
      if (!consecutive_rule && cap == 0) {
        t = deadline;  // nothing opens, nothing caps: retried until the answer is due
        break;
      }
    }
    t = std::max(start, std::min(t, deadline - early_answer));
    if (k < deliveries) t += PubsubRetryBackoff(limits, k);
  }
  return t;
}

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

absl::Duration DeliveryBudget(const config::ServiceConfig& config) {
  return dispatch::DeliveryDeadline(absl::UnixEpoch(), config.lease_max_extension) - absl::UnixEpoch();
}

absl::Duration SurvivedOutage(const config::ServiceConfig& config, const config::BackendConfig& b,
                              int max_delivery_attempts) {
  const bool on_receipt = config.ack_mode == config::AckMode::kOnReceipt;
  // After-success: Pub/Sub delivers up to maxDeliveryAttempts times (0: no dead-letter policy, unbounded).
  // On-receipt: one delivery; its final failure is dead-lettered by the service itself.
  if (!on_receipt && max_delivery_attempts <= 0) return absl::InfiniteDuration();
  const int deliveries = on_receipt ? 1 : max_delivery_attempts;
  const absl::Duration budget = DeliveryBudget(config);
  const auto& cb = b.circuit_breaker;
  const bool consecutive_rule = cb.enabled && cb.consecutive_failures > 0;
  const int cap = b.retry.max_attempts;

  // Worst case for the message: every attempt fails at once (connection refused, no Retry-After), every
  // jittered backoff draws zero (the most attempts), and a delivery that runs into its budget is handed
  // back as early as a full backoff draw allows. The breaker's rate rule is left out (it can only open the circuit sooner).
  absl::Duration t = absl::ZeroDuration();
  int consecutive = 0;
  absl::Time open_until = absl::InfinitePast();  // as offsets from UnixEpoch
  const auto at = [](absl::Duration d) { return absl::UnixEpoch() + d; };
  // A failure hands the message back once its drawn backoff plus the minimum attempt time no longer fits
  // the budget; with a draw of the full max_backoff that is this long before the deadline.
  const absl::Duration early_hand_back =
      std::min(budget, b.retry.max_backoff + dispatch::RetrySchedule::kDefaultMinAttemptTime);
  for (int k = 1; k <= deliveries; ++k) {
    const absl::Duration deadline = t + budget;
    absl::Duration hold_end = absl::InfiniteDuration();
    int attempts = 0;
    for (int step = 0; step < 4 * kMaxModelledAttempts; ++step) {
      if (at(t) < open_until) {
        // Held leased while the circuit is open. max_hold counts from the first hold of the delivery.
        if (hold_end == absl::InfiniteDuration()) {
          hold_end = cb.max_hold > absl::ZeroDuration() ? t + cb.max_hold : absl::InfiniteDuration();
        }
        if (cap == 0) {
          // Each half-open probe fails and reopens the circuit: held until the budget or max_hold ends.
          t = std::min(deadline, hold_end);
          break;
        }
        t = std::min({open_until - absl::UnixEpoch(), deadline, hold_end});
        if (t >= deadline || t >= hold_end) break;
        continue;  // half-open: the next attempt is the probe
      }
      if (t + dispatch::RetrySchedule::kDefaultMinAttemptTime > deadline) {
        t = deadline;
        break;
      }
      const bool probe = open_until != absl::InfinitePast();
      ++attempts;
      ++consecutive;
      if (consecutive_rule && (probe || consecutive >= cb.consecutive_failures)) {
        open_until = at(t + cb.open_duration);
      }
      if (cap > 0 && attempts >= cap) break;
      if (!consecutive_rule && cap == 0) {
        // Nothing holds the message and nothing caps its attempts: retried until its budget is spent.
        t = deadline;
        break;
      }
    }
    // Any failure this close to the deadline may end the delivery (a held one's probe too).
    t = std::min(t, deadline - early_hand_back);
    if (k < deliveries) t += dispatch::RedeliveryDelay(config.redelivery, k);
  }
  return t;
}

BudgetReport ComputeTimeBudget(const config::ServiceConfig& config, const SubscriptionLimits& limits,
                               absl::Duration expected_outage) {
  BudgetReport report;
  report.ingest = config.ingest;
  report.ack_mode = config.ack_mode;
  report.limits = limits;
  report.lease_max_extension = config.lease_max_extension;
  if (config.ingest == config::IngestMode::kPush) {
    report.push_ack_deadline = config.push.ack_deadline;
    report.push_delivery_budget = PushDeliveryBudget(config);
    if (limits.ack_deadline > config.push.ack_deadline) {
      report.warnings.push_back(absl::StrCat(
          "the subscription's ack deadline ", Fmt(limits.ack_deadline), " > push.ack_deadline ",
          Fmt(config.push.ack_deadline), ": the service answers sooner than it has to (schedctl pubsub apply sets "
          "them equal)"));
    }
    for (const config::BackendConfig& b : config.backends) {
      report.backends.push_back(ComputePushBackend(config, b, limits, expected_outage));
    }
    return report;
  }
  if (config.ack_mode == config::AckMode::kOnReceipt) {
    report.warnings.push_back(
        "ack_mode on-receipt: messages are acked before they are processed (at-most-once). A crash "
        "loses them, and Pub/Sub's redelivery and dead-letter policy cannot help; use after-success");
  }
  for (const config::BackendConfig& b : config.backends) {
    report.backends.push_back(ComputeBackend(config, b, limits, expected_outage));
  }
  return report;
}

}  // namespace schedsvc::budget
