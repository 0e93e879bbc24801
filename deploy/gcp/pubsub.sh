#!/usr/bin/env bash
# Creates (or brings up to date) the Pub/Sub resources: the jobs topic, the service's subscription with
# ack deadline, dead-letter policy and retry policy, the dead-letter topic and a subscription on it for
# inspection and replay (`schedctl dlq`). Idempotent: existing resources are updated to these settings.
# Env: PROJECT, TOPIC, SUBSCRIPTION, DEAD_LETTER_TOPIC, DEAD_LETTER_SUBSCRIPTION, ACK_DEADLINE,
# MAX_DELIVERY_ATTEMPTS, MIN_RETRY_DELAY, MAX_RETRY_DELAY, DEAD_LETTER_RETENTION (see lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_topic() {
  local topic="$1"
  if exists pubsub topics describe "${topic}"; then
    log "topic ${topic} exists"
  else
    log "creating topic ${topic}"
    gc pubsub topics create "${topic}" >/dev/null
  fi
}

ensure_topic "${TOPIC}"
ensure_topic "${DEAD_LETTER_TOPIC}"

dlt_path="projects/${PROJECT}/topics/${DEAD_LETTER_TOPIC}"
sub_settings=(
  --ack-deadline="${ACK_DEADLINE}"
  --dead-letter-topic="${dlt_path}"
  --max-delivery-attempts="${MAX_DELIVERY_ATTEMPTS}"
  --min-retry-delay="${MIN_RETRY_DELAY}"
  --max-retry-delay="${MAX_RETRY_DELAY}"
)
if exists pubsub subscriptions describe "${SUBSCRIPTION}"; then
  log "updating subscription ${SUBSCRIPTION}"
  gc pubsub subscriptions update "${SUBSCRIPTION}" "${sub_settings[@]}" >/dev/null
else
  log "creating subscription ${SUBSCRIPTION} on ${TOPIC}"
  gc pubsub subscriptions create "${SUBSCRIPTION}" --topic="${TOPIC}" "${sub_settings[@]}" >/dev/null
fi

# Dead letters are only inspected and replayed by hand: keep them (and acked ones) for a week, and
# never let the subscription expire for lack of activity.
# (The expiration policy is set at creation only: it never needs changing, and the emulator rejects
# updates of it.)
dlq_settings=(
  --ack-deadline=60
  --message-retention-duration="${DEAD_LETTER_RETENTION}"
)
if exists pubsub subscriptions describe "${DEAD_LETTER_SUBSCRIPTION}"; then
  log "updating dead-letter subscription ${DEAD_LETTER_SUBSCRIPTION}"
  gc pubsub subscriptions update "${DEAD_LETTER_SUBSCRIPTION}" "${dlq_settings[@]}" >/dev/null
else
  log "creating dead-letter subscription ${DEAD_LETTER_SUBSCRIPTION} on ${DEAD_LETTER_TOPIC}"
  gc pubsub subscriptions create "${DEAD_LETTER_SUBSCRIPTION}" --topic="${DEAD_LETTER_TOPIC}" \
    "${dlq_settings[@]}" --expiration-period=never >/dev/null
fi
log "Pub/Sub resources ready"
