#!/usr/bin/env bash
# Shared settings and helpers for the deploy/gcp scripts. Sourced, not run.
#
# Every name is an environment variable with a default; only PROJECT is required. The same scripts run
# against real Google Cloud and, in integration_tests/deploy_gcp_scripts_test.cc, against the local
# emulators through gcloud's endpoint overrides (CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB / _CLOUDSCHEDULER),
# with SKIP_IAM=1 and SKIP_MONITORING=1 because no emulator implements IAM or Cloud Monitoring.

: "${PROJECT:?set PROJECT to the Google Cloud project id}"
REGION="${REGION:-us-central1}"
TOPIC="${TOPIC:-schedule-jobs}"
SUBSCRIPTION="${SUBSCRIPTION:-schedule-jobs-service}"
DEAD_LETTER_TOPIC="${DEAD_LETTER_TOPIC:-schedule-jobs-dead-letter}"
DEAD_LETTER_SUBSCRIPTION="${DEAD_LETTER_SUBSCRIPTION:-schedule-jobs-dead-letter-inspect}"
# The service extends leases itself in lease.extension_step steps, so the subscription's deadline only
# bounds how long a crashed pod's messages stay invisible. 10-600 s.
ACK_DEADLINE="${ACK_DEADLINE:-60}"
# Deliveries before Pub/Sub moves a message to the dead-letter topic. 5-100.
MAX_DELIVERY_ATTEMPTS="${MAX_DELIVERY_ATTEMPTS:-5}"
# Pub/Sub's redelivery backoff after a nack (the service nacks with its own delay first). 0-600 s.
MIN_RETRY_DELAY="${MIN_RETRY_DELAY:-10s}"
MAX_RETRY_DELAY="${MAX_RETRY_DELAY:-600s}"
# Dead letters are kept for inspection and replay (`schedctl dlq`) this long.
DEAD_LETTER_RETENTION="${DEAD_LETTER_RETENTION:-7d}"
GSA_NAME="${GSA_NAME:-schedule-service}"
K8S_NAMESPACE="${K8S_NAMESPACE:-schedule-service}"
KSA_NAME="${KSA_NAME:-schedule-service}"
SECRET_USERNAME="${SECRET_USERNAME:-schedsvc-backend-username}"
SECRET_PASSWORD="${SECRET_PASSWORD:-schedsvc-backend-password}"
JOBS_FILE="${JOBS_FILE:-$(dirname "${BASH_SOURCE[0]}")/jobs.conf}"
# Comma-separated Cloud Monitoring notification channel ids (projects/P/notificationChannels/N). Optional.
NOTIFICATION_CHANNELS="${NOTIFICATION_CHANNELS:-}"
SKIP_IAM="${SKIP_IAM:-0}"
SKIP_MONITORING="${SKIP_MONITORING:-0}"
SKIP_APIS="${SKIP_APIS:-0}"

GSA_EMAIL="${GSA_NAME}@${PROJECT}.iam.gserviceaccount.com"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# gcloud with the project set and prompts off.
gc() { gcloud --project="${PROJECT}" --quiet "$@"; }

# True if `gcloud ARGS describe` finds the resource. Any error other than "not found" is fatal: a
# permission or network problem must not look like "create it".
exists() {
  local err
  if err="$(gc "$@" --format='value(name)' 2>&1 >/dev/null)"; then
    return 0
  fi
  if grep -qiE 'NOT_FOUND|not found|does not exist' <<<"${err}"; then
    return 1
  fi
  printf '%s\n' "${err}" >&2
  log "cannot tell whether the resource exists: gcloud $*"
  exit 1
}

project_number() {
  gcloud projects describe "${PROJECT}" --format='value(projectNumber)'
}
