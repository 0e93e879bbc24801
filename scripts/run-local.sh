#!/usr/bin/env bash
# Runs the whole local pipeline: installs dependencies, builds into build/ if needed, then
# `schedctl up` (extra arguments are passed on, e.g. --pubsub-port 18085).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DSCHEDSVC_BUILD_BENCH=OFF
fi
cmake --build build --target schedctl demo-backend cloud-scheduler-emulator schedule-service
exec build/src/cli/schedctl up "$@"
