// Time budget: the worst-case timeline of one message per backend, computed from a ServiceConfig and
// the subscription's settings, and checked against what protects the message while it is processed
// (DESIGN §4). Used by `schedctl check`; rendered as text by timeline_text.h. Pure computation: no
// I/O, no clock; thread-safe.
//
// The model (worst case = every attempt fails as late as possible, no jitter):
//
//   Gateway. A gateway in front of the backend (gateway.timeout > 0) makes 1 + gateway.retries tries,
//   each up to gateway.timeout, waiting gateway.retry_delays[i] before retry i+1 (missing delays are
//   0). Its total is  G = gateway.timeout × (1 + gateway.retries) + Σ retry_delays.
//   The seed system: "6 min × 3 tries with 0 + 10 + 20 s between" is the first try at +0 s and two
//   retries after 10 s and 20 s, i.e. gateway.timeout 6m, gateway.retries 2, retry_delays [10s, 20s]:
//   G = 3 × 6m + 30s = 18m30s. (Reading "0 + 10 + 20" as three retries would give 4 tries and 24m30s,
//   which contradicts "3 tries" and the 18 min 30 s the design states.)
//
//   One of our attempts costs  A = min(timeout, G)  with a gateway, else  A = timeout. Our per-attempt
//   timeout clips what the gateway can do: when timeout < G we give up at `timeout` (the gateway may
//   still be retrying the backend after that, which the check reports as a duplicate-execution
//   warning); when timeout ≥ G the gateway's total is the bound, because the gateway answers (with an
//   error) once its own tries are spent.
//
//   Backoff between our attempts i and i+1 (i = 1..n-1):  B_i = min(initial_backoff × multiplier^(i-1),
//   max_backoff). Full jitter draws from [0, B_i]; the worst case is B_i itself.
//
//   The budget of one delivery: the dispatcher stops working on a message at
//   L = lease.max_extension − LeaseSafetyMargin (src/dispatch/delivery_budget.h) after receipt.
//
//   One delivery. With retry.max_attempts n > 0:  D = n × A + Σ B_i. With n = 0 (the default: no attempt
//   limit) attempts go on while the next one can start with at least 1 s of L left, each later attempt
//   clipped to L, so D ≤ L (the first attempt is never clipped in the model: one attempt longer than the
//   protection is a violation).
//
//   Protection of one delivery: in ack_mode after-success the lease is extended up to
//   lease.max_extension, so the message is protected for  P = max(ack deadline, lease.max_extension).
//   In on-receipt mode nothing extends the lease: P = ack deadline (beyond it a lost early ack means a
//   redelivery while the first copy still runs). D > P is a VIOLATION.
//
//   Across deliveries: after D the message is nacked with the redelivery delay R_k of delivery k
//   (min(redelivery.max_delay, redelivery.initial_delay × 2^(k−1)), src/dispatch/redelivery_delay.h)
//   and redelivered, up to max_delivery_attempts m deliveries, so the time until it reaches the
//   dead-letter topic is  T = m × D + Σ_{k<m} R_k. T > the subscription's message retention is a
//   VIOLATION (the message would expire instead of being dead-lettered). m = 0 (no dead-letter policy)
//   means unbounded redelivery: a warning.
//
//   Outage survived: the longest total backend outage, starting when a message arrives, after which
//   the message is still not dead-lettered: a lower bound, from a step-by-step model of one message in
//   which every attempt fails at once (connection refused) and every jittered backoff draws zero, the
//   circuit opens after circuit_breaker.consecutive_failures failures in a row (the rate rule, which can
//   only open it sooner, is left out), an open circuit holds the message leased until L or max_hold ends,
//   each half-open probe fails, and a delivery ends at L, at the attempt cap or at max_hold; deliveries
//   are R_k apart (Pub/Sub's retryPolicy, at least as long in practice, is left out). In on-receipt mode
//   the one delivery's end is the dead letter. Shorter than the expected outage (--expect-outage) is a
//   warning.
//
// Push (ingest: push). Pub/Sub POSTs each delivery and waits for the answer at most the push
// subscription's ack deadline; the service answers a margin before push.ack_deadline:
//
//   Lp = push.ack_deadline − LeaseSafetyMargin(push.ack_deadline)        (PushDeliveryBudget)
//
//   One delivery is the timeline above with L = Lp (attempts clipped to Lp when retry.max_attempts is
//   0), and the answer is due at Lp: D > Lp is a VIOLATION (Pub/Sub stops waiting and redelivers while
//   the first copy still runs). The subscription's own ack deadline below push.ack_deadline is a
//   VIOLATION too (Pub/Sub stops waiting before the service answers).
//
//   Across deliveries: a non-2xx answer makes Pub/Sub wait, per the subscription's retryPolicy,
//   P_k = min(minimumBackoff × 2^(k−1), maximumBackoff) before delivery k+1 (Pub/Sub documents an
//   exponential backoff between the two bounds; doubling is the model's assumption). m deliveries end
//   in the dead-letter topic after at most  T = m × Lp + Σ_{k<m} P_k.
//
//   Outage survived (push): push cannot hold a message: every delivery ends with an answer within Lp,
//   each failed answer spends one delivery attempt, and after m the message is dead-lettered. A lower
//   bound, from a model in which each delivery is as short as it can be: every attempt fails at once,
//   every jittered backoff draws zero, the circuit opens after circuit_breaker.consecutive_failures
//   failures in a row and an open circuit is answered at once (non-2xx), each half-open probe fails, a
//   delivery that runs into Lp ends a full backoff draw before it; deliveries are P_k apart. It lies
//   between Σ_{k<m} P_k and T. m = 0 (no dead-letter policy): unbounded.
#ifndef SCHEDSVC_BUDGET_TIME_BUDGET_H_
#define SCHEDSVC_BUDGET_TIME_BUDGET_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "src/config/service_config.h"

namespace schedsvc::budget {

// Pub/Sub's defaults, used when neither the subscription nor a flag says otherwise.
inline constexpr int kDefaultAckDeadlineSeconds = 10;
inline constexpr int kDefaultMaxDeliveryAttempts = 5;
inline constexpr int kDefaultRetentionDays = 7;
// The retryPolicy's bounds when the subscription has none (and Pub/Sub's defaults for its fields).
inline constexpr absl::Duration kDefaultRetryMinimumBackoff = absl::Seconds(10);
inline constexpr absl::Duration kDefaultRetryMaximumBackoff = absl::Seconds(600);

// What the subscription contributes to the budget.
struct SubscriptionLimits {
  // ackDeadlineSeconds. Default 10 s; Pub/Sub allows 10-600 s.
  absl::Duration ack_deadline = absl::Seconds(kDefaultAckDeadlineSeconds);
  // deadLetterPolicy.maxDeliveryAttempts; 0 = no dead-letter policy (redelivered until retention).
  int max_delivery_attempts = kDefaultMaxDeliveryAttempts;
  // messageRetentionDuration. Default 7 days.
  absl::Duration message_retention = absl::Hours(24 * kDefaultRetentionDays);
  // retryPolicy.minimumBackoff / maximumBackoff: how long Pub/Sub waits before redelivering a message
  // whose delivery failed (push: a non-2xx answer or no answer). Default 10 s / 600 s.
  absl::Duration retry_minimum_backoff = kDefaultRetryMinimumBackoff;
  absl::Duration retry_maximum_backoff = kDefaultRetryMaximumBackoff;
};

enum class EventKind {
  kAttemptStart,    // one of our HTTP attempts starts
  kGatewayTry,      // the gateway sends a try upstream (inside an attempt)
  kGatewayDelay,    // the gateway waits before its next try
  kGatewayCut,      // our attempt timeout cuts the gateway short
  kAttemptEnd,      // our attempt ends (timeout or gateway error)
  kBackoff,         // we wait before our next attempt
  kDeliveryEnd,     // all attempts of one delivery spent: nack with delay
  kAckDeadline,     // the subscription's ack deadline passes
  kLeaseLimit,      // lease.max_extension runs out (after-success only)
  kAnswerDue,       // push: the service must have answered (push.ack_deadline minus the margin)
};

struct TimelineEvent {
  EventKind kind;
  absl::Duration offset;  // from the moment the message is received
  absl::Duration length;  // span of a try, delay or backoff; zero for instants
  int attempt = 0;        // our attempt number (1-based) for attempt/gateway/backoff events
  int gateway_try = 0;    // the gateway's try number (1-based) for gateway events
  std::string text;       // one readable line describing the event
};

enum class Verdict { kOk, kViolation };

// The budget of one backend.
struct BackendBudget {
  std::string backend;
  // Events of one delivery in offset order, with the ack deadline and lease limit markers.
  std::vector<TimelineEvent> events;
  absl::Duration gateway_total;     // G; zero without a gateway
  absl::Duration attempt_cost;      // A
  int attempts = 0;                 // n
  bool attempts_unlimited = false;  // retry.max_attempts 0: attempts until the budget is spent
  absl::Duration delivery_budget;   // L
  absl::Duration delivery_total;    // D
  absl::Duration protected_for;     // P; push: Lp, when the answer is due
  absl::Duration redelivery_delay;  // R_1, the first delivery's nack delay; push: P_1
  int max_delivery_attempts = 0;    // m; 0 = unbounded
  absl::Duration all_deliveries_total;  // T; zero when m = 0 (push: every delivery running its whole Lp)
  absl::Duration survived_outage;   // InfiniteDuration when unbounded
  absl::Duration expected_outage;   // the expectation it was compared with
  Verdict verdict = Verdict::kOk;
  std::vector<std::string> violations;  // why the verdict is kViolation
  std::vector<std::string> warnings;    // worth knowing, not failing
};

struct BudgetReport {
  config::IngestMode ingest = config::IngestMode::kPull;
  config::AckMode ack_mode = config::AckMode::kAfterSuccess;
  // push: push.ack_deadline and Lp (zero for pull).
  absl::Duration push_ack_deadline;
  absl::Duration push_delivery_budget;
  SubscriptionLimits limits;
  absl::Duration lease_max_extension;
  std::vector<BackendBudget> backends;   // in config order
  std::vector<std::string> warnings;     // service-wide (e.g. on-receipt)

  // Returns true if no backend has a violation.
  bool ok() const;
};

// Returns the gateway's worst-case total G for `gateway` (zero when gateway.timeout is zero).
absl::Duration GatewayTotal(const config::GatewayConfig& gateway);

// Returns the worst-case backoff after our attempt `attempt` (1-based): B_attempt.
absl::Duration WorstCaseBackoff(const config::RetryConfig& retry, int attempt);

// Returns L: lease.max_extension minus the dispatcher's safety margin.
absl::Duration DeliveryBudget(const config::ServiceConfig& config);

// Returns the longest backend outage that does not dead-letter a message of backend `b` (the model
// above), or InfiniteDuration() when nothing dead-letters it (after-success without a dead-letter
// policy: max_delivery_attempts 0).
absl::Duration SurvivedOutage(const config::ServiceConfig& config, const config::BackendConfig& b,
                              int max_delivery_attempts);

// Returns Lp: push.ack_deadline minus the margin the push endpoint keeps before Pub/Sub stops waiting.
absl::Duration PushDeliveryBudget(const config::ServiceConfig& config);

// Returns P_k, Pub/Sub's wait before delivery k+1 after delivery k (1-based) failed, under `limits`'
// retryPolicy: min(minimumBackoff × 2^(k−1), maximumBackoff).
absl::Duration PubsubRetryBackoff(const SubscriptionLimits& limits, int k);

// Returns the longest backend outage that does not dead-letter a pushed message of backend `b` (the
// push model above, a lower bound), or InfiniteDuration() without a dead-letter policy.
absl::Duration SurvivedPushOutage(const config::ServiceConfig& config, const config::BackendConfig& b,
                                  const SubscriptionLimits& limits);

// Default outage a config is expected to survive without a dead letter (`schedctl check --expect-outage`).
inline constexpr absl::Duration kDefaultExpectedOutage = absl::Hours(1);

// Computes the budget of every backend in `config` against `limits`, warning where the outage survived is
// shorter than `expected_outage`. A config with ingest: push gets the push model.
BudgetReport ComputeTimeBudget(const config::ServiceConfig& config, const SubscriptionLimits& limits,
                               absl::Duration expected_outage = kDefaultExpectedOutage);

}  // namespace schedsvc::budget

#endif  // SCHEDSVC_BUDGET_TIME_BUDGET_H_
