#!/usr/bin/env bash
# Identity and access: the Google service account the pods run as (through Workload Identity) and the
# least privileges it needs, the Secret Manager secrets for the backend's Basic-auth credentials, and the
# grants Pub/Sub's own service agent needs to dead-letter. Idempotent (IAM bindings are set-like).
# Run after pubsub.sh. SKIP_IAM=1 skips everything (the emulators have no IAM).
# Env: PROJECT, SUBSCRIPTION, DEAD_LETTER_TOPIC, GSA_NAME, K8S_NAMESPACE, KSA_NAME, SECRET_USERNAME,
# SECRET_PASSWORD (see lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ "${SKIP_IAM}" == 1 ]]; then
  log "SKIP_IAM=1: no service accounts, secrets or IAM bindings"
  exit 0
fi

# 1. The service's Google service account.
if exists iam service-accounts describe "${GSA_EMAIL}"; then
  log "service account ${GSA_EMAIL} exists"
else
  log "creating service account ${GSA_EMAIL}"
  gc iam service-accounts create "${GSA_NAME}" --display-name="schedule-service (GKE)" >/dev/null
fi
member="serviceAccount:${GSA_EMAIL}"

# 2. Pull and ack on its subscription; publish permanent failures to the dead-letter topic. Nothing
#    project-wide.
gc pubsub subscriptions add-iam-policy-binding "${SUBSCRIPTION}" \
  --member="${member}" --role=roles/pubsub.subscriber >/dev/null
gc pubsub topics add-iam-policy-binding "${DEAD_LETTER_TOPIC}" \
  --member="${member}" --role=roles/pubsub.publisher >/dev/null
log "granted subscriber on ${SUBSCRIPTION}, publisher on ${DEAD_LETTER_TOPIC}"

# 3. Pub/Sub forwards messages past maxDeliveryAttempts as its service agent: it must be allowed to
#    publish to the dead-letter topic and to ack on the source subscription, or dead-lettering silently
#    does not happen.
pubsub_agent="serviceAccount:service-$(project_number)@gcp-sa-pubsub.iam.gserviceaccount.com"
gc pubsub topics add-iam-policy-binding "${DEAD_LETTER_TOPIC}" \
  --member="${pubsub_agent}" --role=roles/pubsub.publisher >/dev/null
gc pubsub subscriptions add-iam-policy-binding "${SUBSCRIPTION}" \
  --member="${pubsub_agent}" --role=roles/pubsub.subscriber >/dev/null
log "granted the Pub/Sub service agent dead-lettering rights"

# 4. The backend credentials live in Secret Manager. This creates the secrets empty; add the values
#    yourself, never through a script argument (docs/deploy.md):
#      gcloud secrets versions add schedsvc-backend-password --data-file=- < password-file
for secret in "${SECRET_USERNAME}" "${SECRET_PASSWORD}"; do
  if exists secrets describe "${secret}"; then
    log "secret ${secret} exists"
  else
    log "creating secret ${secret} (no version yet: add one with gcloud secrets versions add)"
    gc secrets create "${secret}" --replication-policy=automatic >/dev/null
  fi
  gc secrets add-iam-policy-binding "${secret}" \
    --member="${member}" --role=roles/secretmanager.secretAccessor >/dev/null
done
log "granted secretAccessor on ${SECRET_USERNAME}, ${SECRET_PASSWORD}"

# 5. Workload Identity: the Kubernetes ServiceAccount K8S_NAMESPACE/KSA_NAME may act as the service
#    account (deploy/k8s/base/serviceaccount.yaml carries the matching annotation).
gc iam service-accounts add-iam-policy-binding "${GSA_EMAIL}" \
  --role=roles/iam.workloadIdentityUser \
  --member="serviceAccount:${PROJECT}.svc.id.goog[${K8S_NAMESPACE}/${KSA_NAME}]" >/dev/null
log "bound ${K8S_NAMESPACE}/${KSA_NAME} to ${GSA_EMAIL} (Workload Identity)"
