#!/usr/bin/env bash
# Everything in Google Cloud the pipeline needs, in order: APIs, Pub/Sub, IAM and secrets, Cloud
# Scheduler jobs, alert policies. Idempotent: run it again after changing a setting.
#   PROJECT=my-project REGION=europe-west1 bash deploy/gcp/setup.sh
# SKIP_APIS=1 / SKIP_IAM=1 / SKIP_MONITORING=1 skip those steps (the emulator test sets all three);
# SKIP_SCHEDULER=1 skips the jobs. Other settings: lib.sh.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
source "${dir}/lib.sh"

bash "${dir}/enable-apis.sh"
bash "${dir}/pubsub.sh"
bash "${dir}/iam.sh"
if [[ "${SKIP_SCHEDULER:-0}" == 1 ]]; then
  log "SKIP_SCHEDULER=1: no Cloud Scheduler jobs"
else
  bash "${dir}/scheduler.sh"
fi
bash "${dir}/monitoring.sh"
log "done: topic ${TOPIC}, subscription ${SUBSCRIPTION}, dead-letter topic ${DEAD_LETTER_TOPIC} in ${PROJECT}"
