#!/usr/bin/env bash
# Checks that CMake lists every source (scripts/check-sources-listed.py), builds schedule-service and runs
# every test: unit and integration (against the official Pub/Sub emulator, real loopback HTTP servers, SQLite
# and gcloud; the console in headless Chromium through playwright-core, installed with `npm ci`), then the
# unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer; clang's thread-safety analysis
# checks the lock annotations of every source file. Installs what it needs first.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc)

echo "== npm ci for the console's browser test (integration_tests/console)"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "test.sh: the console's browser test needs Node.js >= 20 (playwright-core); found $(node --version 2>&1)" >&2
  exit 1
fi
(cd integration_tests/console && npm ci --no-audit --no-fund --loglevel=error)
echo "== every source listed in CMake"
python3 scripts/check-sources-listed.py
echo "== release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
echo "== thread-safety analysis (clang -Wthread-safety over every source file of ours)"
python3 scripts/thread-safety-check.py build
echo "== tests (unit + integration)"
(cd build && ctest --output-on-failure -j 1)

if [[ "${SCHEDSVC_SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo "== ASan + UBSan build, unit tests"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSCHEDSVC_SANITIZE=ON \
    -DSCHEDSVC_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ctest --output-on-failure -L unit -j "$jobs")
fi
echo "== all tests passed"
