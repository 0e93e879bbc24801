#!/usr/bin/env bash
# Creates (or updates) the Cloud Scheduler jobs listed in JOBS_FILE (default jobs.conf): each publishes
# its body and routing attributes to TOPIC on its schedule. Idempotent: an existing job is updated in
# place (its attributes are merged: an attribute removed from the file stays until removed by hand with
# `gcloud scheduler jobs update pubsub ID --remove-attributes=K`).
# Env: PROJECT, REGION, TOPIC, JOBS_FILE, SCHEDULER_RETRY_ATTEMPTS (default 3),
# SCHEDULER_MIN_BACKOFF (10s), SCHEDULER_MAX_BACKOFF (300s) (see lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SCHEDULER_RETRY_ATTEMPTS="${SCHEDULER_RETRY_ATTEMPTS:-3}"
SCHEDULER_MIN_BACKOFF="${SCHEDULER_MIN_BACKOFF:-10s}"
SCHEDULER_MAX_BACKOFF="${SCHEDULER_MAX_BACKOFF:-300s}"

trim() {
  local s="$1"
  s="${s#"${s%%[![:space:]]*}"}"
  s="${s%"${s##*[![:space:]]}"}"
  printf '%s' "${s}"
}

[[ -r "${JOBS_FILE}" ]] || { log "cannot read JOBS_FILE ${JOBS_FILE}"; exit 1; }

line_no=0
count=0
while IFS= read -r line || [[ -n "${line}" ]]; do
  line_no=$((line_no + 1))
  [[ -z "$(trim "${line}")" || "$(trim "${line}")" == \#* ]] && continue
  IFS='|' read -r id schedule time_zone attributes body <<<"${line}"
  id="$(trim "${id}")"
  schedule="$(trim "${schedule}")"
  time_zone="$(trim "${time_zone:-}")"
  attributes="$(trim "${attributes:-}")"
  body="$(trim "${body:-}")"
  if [[ -z "${id}" || -z "${schedule}" || -z "${time_zone}" ]]; then
    log "${JOBS_FILE}:${line_no}: expected 'id | schedule | time zone | attributes | body'"
    exit 1
  fi
  if [[ -z "${attributes}" && -z "${body}" ]]; then
    log "${JOBS_FILE}:${line_no}: job ${id} needs attributes or a body"
    exit 1
  fi

  common=(
    --location="${REGION}"
    --schedule="${schedule}"
    --time-zone="${time_zone}"
    --topic="${TOPIC}"
    --max-retry-attempts="${SCHEDULER_RETRY_ATTEMPTS}"
    --min-backoff="${SCHEDULER_MIN_BACKOFF}"
    --max-backoff="${SCHEDULER_MAX_BACKOFF}"
  )
  [[ -n "${body}" ]] && common+=(--message-body="${body}")

  if exists scheduler jobs describe "${id}" --location="${REGION}"; then
    log "updating job ${id} (${schedule}, ${time_zone})"
    extra=()
    [[ -n "${attributes}" ]] && extra+=(--update-attributes="${attributes}")
    gc scheduler jobs update pubsub "${id}" "${common[@]}" "${extra[@]}" >/dev/null
  else
    log "creating job ${id} (${schedule}, ${time_zone})"
    extra=()
    [[ -n "${attributes}" ]] && extra+=(--attributes="${attributes}")
    gc scheduler jobs create pubsub "${id}" "${common[@]}" "${extra[@]}" >/dev/null
  fi
  count=$((count + 1))
done <"${JOBS_FILE}"
log "${count} scheduler job(s) ready in ${REGION}"
