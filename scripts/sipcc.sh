#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root, or with sudo):
#   scripts/sipcc.sh run    install what is missing, build, run nats-server and every service
#   scripts/sipcc.sh test   install what is missing, build, run the whole test suite
#   scripts/sipcc.sh build  install what is missing and build
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${SIPCC_BUILD_DIR:-build}
CONFIG=${SIPCC_CONFIG:-deploy/sipcc.yaml}
NATS_PORT=${SIPCC_NATS_PORT:-4222}

# Debian 12 packages the build, the services and the tests need.
PACKAGES=(
  build-essential cmake pkg-config ccache
  libcaf-dev libnats-dev nats-server libsofia-sip-ua-dev
  libprotobuf-dev protobuf-compiler libgtest-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libpugixml-dev
  sip-tester docker-compose
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "sipcc: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

build() {
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

run() {
  local pids=()
  stop_all() {
    trap - INT TERM EXIT
    [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    echo "sipcc: stopped"
  }
  trap stop_all INT TERM EXIT
  if (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; then
    echo "sipcc: port $NATS_PORT is taken; stop what uses it or set SIPCC_NATS_PORT" >&2
    exit 1
  fi
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$BUILD_DIR/nats-data" &
  pids+=($!)
  echo "sipcc: nats-server listening on nats://127.0.0.1:$NATS_PORT"
  local url="nats://127.0.0.1:$NATS_PORT"
  for svc in sip-edge presence callctl router mwi; do
    "$BUILD_DIR/services/$svc/$svc" --config "$CONFIG" --nats "$url" &
    pids+=($!)
  done
  echo "sipcc: every service started with $CONFIG; each logs where it listens. Ctrl-C stops them all."
  echo "sipcc: watch the bus with: $BUILD_DIR/services/sipccctl/sipccctl --nats $url watch"
  wait -n "${pids[@]}" || true
  echo "sipcc: a process ended; stopping the rest" >&2
}

run_tests() {
  cd "$BUILD_DIR"
  ctest --output-on-failure --timeout 300
}

case "${1:-}" in
  run) install_missing; build; run ;;
  test) install_missing; build; run_tests ;;
  build) install_missing; build ;;
  *) echo "usage: $0 run|test|build" >&2; exit 2 ;;
esac
