#!/usr/bin/env bash
# Enables the Google Cloud APIs the pipeline uses. Idempotent. Env: PROJECT (see lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ "${SKIP_APIS}" == 1 ]]; then
  log "SKIP_APIS=1: not enabling APIs"
  exit 0
fi
log "enabling APIs in ${PROJECT}"
gc services enable pubsub.googleapis.com cloudscheduler.googleapis.com secretmanager.googleapis.com \
  container.googleapis.com monitoring.googleapis.com logging.googleapis.com \
  artifactregistry.googleapis.com iamcredentials.googleapis.com
