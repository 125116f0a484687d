#!/usr/bin/env bash
# Installs the Debian packages hybridrec needs to build and test.
# Idempotent: when every package is already present it only checks and exits (well under a second).
# Usage: scripts/install-deps.sh [--with-dev-tools]
#   --with-dev-tools  also installs what only maintainers need (python3-torch for regenerating the
#                     encoder parity fixture, wrk for the HTTP benchmark).
# The web page is built with Node.js/npm and tested in headless Chromium; clang builds the
# libFuzzer targets. Node.js is installed from Debian only when no `node`/`npm` is on PATH (a
# Node.js from elsewhere, e.g. NodeSource, is kept).
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config ca-certificates curl unzip
  libopenblas-dev liblapacke-dev libfaiss-dev libeigen3-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libutf8proc-dev
  libsqlite3-dev libcpp-httplib-dev libssl-dev
  postgresql libpq-dev redis-server libhiredis-dev haproxy
  openmpi-bin libopenmpi-dev zlib1g-dev libzstd-dev libhnswlib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-numpy python3-matplotlib
  python3-dev python3-venv python3-pip python3-wheel pybind11-dev python3-pybind11 python3-pytest
  python3-pandas python3-scipy
  python3-nbclient python3-nbformat python3-nbconvert python3-ipykernel python3-sklearn
  chromium clang libclang-rt-14-dev
)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PKGS+=(nodejs npm)
fi
if [[ "${1:-}" == "--with-dev-tools" ]]; then
  PKGS+=(python3-torch wrk)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
