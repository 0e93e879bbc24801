#!/usr/bin/env bash
# Cloud Monitoring alert policies on the subscription's own metrics (alert-policies/*.json: oldest
# unacked message age, Pub/Sub dead-lettering, backlog), which need no Prometheus. The service-level
# rules (latency, failure rate, memory, pods) are Prometheus rules in deploy/monitoring/alerts.yaml.
# Idempotent: a policy with the same display name is updated. SKIP_MONITORING=1 skips it (no emulator).
# Env: PROJECT, SUBSCRIPTION, NOTIFICATION_CHANNELS (comma-separated channel names; optional).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ "${SKIP_MONITORING}" == 1 ]]; then
  log "SKIP_MONITORING=1: no alert policies"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

for template in "$(dirname "$0")"/alert-policies/*.json; do
  policy="${tmp}/$(basename "${template}")"
  sed "s/__SUBSCRIPTION__/${SUBSCRIPTION}/g" "${template}" >"${policy}"
  display_name="$(sed -n 's/^  "displayName": "\(.*\)",$/\1/p' "${policy}")"
  [[ -n "${display_name}" ]] || { log "${template}: no top-level displayName"; exit 1; }
  existing="$(gc alpha monitoring policies list --filter="displayName=\"${display_name}\"" \
    --format='value(name)' | head -n 1)"
  if [[ -n "${existing}" ]]; then
    log "updating alert policy '${display_name}'"
    gc alpha monitoring policies update "${existing}" --policy-from-file="${policy}" >/dev/null
    if [[ -n "${NOTIFICATION_CHANNELS}" ]]; then
      gc alpha monitoring policies update "${existing}" \
        --set-notification-channels="${NOTIFICATION_CHANNELS}" >/dev/null
    fi
  else
    log "creating alert policy '${display_name}'"
    channels=()
    [[ -n "${NOTIFICATION_CHANNELS}" ]] && channels+=(--notification-channels="${NOTIFICATION_CHANNELS}")
    gc alpha monitoring policies create --policy-from-file="${policy}" "${channels[@]}" >/dev/null
  fi
done
log "alert policies ready"
