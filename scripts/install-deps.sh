#!/usr/bin/env bash
# Installs every Debian package schedule-service needs to build, test and run.
# Idempotent: safe on a fresh Debian bookworm machine and when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build clang-14 python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libcurl4-openssl-dev libyaml-cpp-dev nlohmann-json3-dev libsqlite3-dev
  prometheus-cpp-dev libcli11-dev libcpp-httplib-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libjwt-dev
  tzdata ca-certificates curl nginx-light apache2-utils yamllint procps
  default-jre-headless
  # For the console's browser test (integration_tests/console): headless Chromium driven by playwright-core.
  chromium
  # For promtool (alert-rule tests). Installing it on a host running systemd also enables and starts a
  # Prometheus server on :9090, the default admin port of schedule-service: `systemctl disable --now prometheus`.
  prometheus
)

missing=()
# npm installs playwright-core for the browser test (scripts/test.sh runs `npm ci`). Node.js from
# NodeSource brings its own npm and conflicts with Debian's npm package: only when there is no npm.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
