#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine, as root or as a user with
# sudo (sudo is used for apt-get only, and only when not root):
#   scripts/sipcc.sh run                install what is missing, build, then serve
#   scripts/sipcc.sh serve              run nats-server and every service from the build
#   scripts/sipcc.sh restart <service>  restart one service of a running run/serve
#   scripts/sipcc.sh test               install what is missing, build (Asterisk too), the fuzz corpus,
#                                       then the whole test suite
#   scripts/sipcc.sh build              install what is missing and build
#   scripts/sipcc.sh fuzz [seconds]     build the fuzz tree (clang) and fuzz each parser that long (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${SIPCC_BUILD_DIR:-build}
# The libFuzzer harnesses' own build tree (clang, sanitizers): tests/fuzz.
FUZZ_BUILD_DIR=${SIPCC_FUZZ_BUILD_DIR:-build-fuzz}
CONFIG=${SIPCC_CONFIG:-deploy/sipcc.yaml}
NATS_PORT=${SIPCC_NATS_PORT:-4222}
# Pid files of a running serve (read by restart) and nats-server's store.
RUN_DIR=${SIPCC_RUN_DIR:-$BUILD_DIR/run}
# The bus passwords (scripts/nats-auth.sh makes the missing ones; outside git).
NATS_SECRETS=${SIPCC_NATS_SECRETS:-deploy/nats/secrets}
# sip-edge-2 is a second sip-edge process (edge2) at SIPCC_EDGE2_BIND, as
# deploy/asterisk/pjsip.conf expects it.
SERVICES=(sip-edge sip-edge-2 presence callctl router mwi media)
EDGE2_BIND=${SIPCC_EDGE2_BIND:-127.0.0.1:5062}
# A service that ends this many times within a minute is not started again:
# everything stops, rather than running half a system that answers 503.
MAX_ENDS_PER_MINUTE=5
# Seconds a process gets to stop on SIGTERM before SIGKILL.
STOP_TIMEOUT=10
# The real Asterisk of the interop suite: its two source archives, and where
# it is built once (outside the clone, so later runs and CI reuse it).
ASTERISK_ARCHIVES=${SIPCC_ASTERISK_ARCHIVES:-../shared/asterisk}
ASTERISK_PREFIX=${SIPCC_ASTERISK_PREFIX:-/var/cache/sipcc/asterisk}

# Debian 12 packages the build, the services and the tests need.
PACKAGES=(
  build-essential cmake pkg-config ccache
  libcaf-dev libnats-dev nats-server libsofia-sip-ua-dev libssl-dev openssl
  libprotobuf-dev protobuf-compiler libgtest-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libpugixml-dev
  sip-tester docker-compose
  clang libclang-rt-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "sipcc: '$*' needs root: run this as root, or install sudo" >&2
    exit 1
  fi
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
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSIPCC_ASTERISK_PREFIX="$ASTERISK_PREFIX" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

# serve's state is global: the EXIT trap runs after serve() has returned.
declare -A pid_of=()   # process name -> pid
declare -A name_of=()  # pid -> process name
declare -A ends_of=()  # service -> times (SECONDS) it ended within the last minute

# Whether pid $1 still runs (an exited child that is not yet reaped does not).
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# SIGTERM to the named processes, SIGKILL to those still up after
# STOP_TIMEOUT seconds; reaps them all.
terminate() {
  local name pids=()
  for name in "$@"; do
    [ -n "${pid_of[$name]:-}" ] && pids+=("${pid_of[$name]}")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT)) pid
  for pid in "${pids[@]}"; do
    while running "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if running "$pid"; then
      echo "sipcc: ${name_of[$pid]} (pid $pid) did not stop within ${STOP_TIMEOUT} s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    rm -f "$RUN_DIR/${name_of[$pid]}.pid"
    unset "pid_of[${name_of[$pid]}]" "name_of[$pid]"
  done
}

# Services first, so that none of them sees the bus go away.
stop_all() {
  trap '' INT TERM
  trap - EXIT
  terminate "${SERVICES[@]}"
  terminate nats-server
  echo "sipcc: stopped"
  exit "$1"
}

started() {
  pid_of[$1]=$2
  name_of[$2]=$1
  echo "$2" >"$RUN_DIR/$1.pid"
  echo "sipcc: started $1 (pid $2)"
}

# Each service connects to the bus as its own user (deploy/nats/auth.conf).
start_service() {
  local binary=$1
  local -a env=()
  if [ "$1" = sip-edge-2 ]; then
    binary=sip-edge
    env=(SIPCC_INSTANCE=edge2 "SIPCC_EDGE_BIND=$EDGE2_BIND")
  fi
  env "${env[@]}" SIPCC_NATS_USER="$binary" SIPCC_NATS_PASSWORD= \
    SIPCC_NATS_PASSWORD_FILE="$NATS_SECRETS/$binary.password" \
    "$BUILD_DIR/services/$binary/$binary" --config "$CONFIG" --nats "nats://127.0.0.1:$NATS_PORT" &
  started "$1" $!
}

# "exit status N" or "killed by signal NAME", from a status as wait gives it.
describe_status() {
  if [ "$1" -gt 128 ]; then
    echo "killed by signal $(kill -l $(($1 - 128)))"
  else
    echo "exit status $1"
  fi
}

nats_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; }

# Runs nats-server and every service. A service that ends (a crash, or exit
# status 70: its root actor failed) is started again, its status said, after
# 1 s per time it ended within the last minute; the
# MAX_ENDS_PER_MINUTE-th end within a minute, nats-server ending, Ctrl-C or
# SIGTERM stop everything.
serve() {
  if nats_accepts; then
    echo "sipcc: port $NATS_PORT is taken; stop what uses it or set SIPCC_NATS_PORT" >&2
    exit 1
  fi
  mkdir -p "$RUN_DIR"
  trap 'stop_all 0' INT TERM
  trap 'stop_all 1' EXIT
  # Authorization on: deploy/nats's users and allow lists, with the
  # passwords of $NATS_SECRETS (its secrets/ folder, wherever it is).
  bash scripts/nats-auth.sh "$NATS_SECRETS"
  mkdir -p "$RUN_DIR/nats"
  cp deploy/nats/nats-server.conf deploy/nats/auth.conf deploy/nats/permissions.conf "$RUN_DIR/nats/"
  ln -sfn "$(realpath "$NATS_SECRETS")" "$RUN_DIR/nats/secrets"
  # Its own session, out of reach of the terminal's Ctrl-C: the services
  # must stop while the bus is still up (a service stopping without it waits
  # for every subscription to drain in vain).
  setsid nats-server -c "$RUN_DIR/nats/nats-server.conf" -a 127.0.0.1 -p "$NATS_PORT" -js \
    -sd "$RUN_DIR/nats-data" &
  started nats-server $!
  local deadline=$((SECONDS + STOP_TIMEOUT))
  until nats_accepts; do
    if ! running "${pid_of[nats-server]}" || [ "$SECONDS" -ge "$deadline" ]; then
      echo "sipcc: nats-server did not start listening on 127.0.0.1:$NATS_PORT" >&2
      stop_all 1
    fi
    sleep 0.1
  done
  echo "sipcc: nats-server listening on nats://127.0.0.1:$NATS_PORT"
  local svc
  for svc in "${SERVICES[@]}"; do start_service "$svc"; done
  echo "sipcc: every service started with $CONFIG; each logs where it listens. Ctrl-C stops them all."
  echo "sipcc: watch the bus with: SIPCC_NATS_USER=operator SIPCC_NATS_PASSWORD_FILE=$NATS_SECRETS/operator.password $BUILD_DIR/services/sipccctl/sipccctl --nats nats://127.0.0.1:$NATS_PORT watch"
  local ended status recent t
  while :; do
    status=0
    wait -n -p ended "${pid_of[@]}" || status=$?
    svc=${name_of[$ended]}
    unset "pid_of[$svc]" "name_of[$ended]"
    rm -f "$RUN_DIR/$svc.pid"
    if [ "$svc" = nats-server ]; then
      echo "sipcc: nats-server (pid $ended) ended ($(describe_status "$status")); stopping everything" >&2
      stop_all 1
    fi
    # An operator's restart (restart_one's marker) is no crash: at once, uncounted.
    if rm "$RUN_DIR/$svc.restarting" 2>/dev/null; then
      echo "sipcc: $svc (pid $ended) restarted on request" >&2
      start_service "$svc"
      continue
    fi
    recent=()
    for t in ${ends_of[$svc]:-} $SECONDS; do
      [ $((SECONDS - t)) -lt 60 ] && recent+=("$t")
    done
    ends_of[$svc]=${recent[*]}
    if [ ${#recent[@]} -ge "$MAX_ENDS_PER_MINUTE" ]; then
      echo "sipcc: $svc (pid $ended) ended ($(describe_status "$status")), ${#recent[@]} times within a minute; stopping everything" >&2
      stop_all 1
    fi
    echo "sipcc: $svc (pid $ended) ended ($(describe_status "$status")); starting it again in ${#recent[@]} s" >&2
    sleep "${#recent[@]}"
    start_service "$svc"
  done
}

# Asks one service of a running serve to stop (SIGTERM); serve starts it again.
restart_one() {
  local svc=${1:-} known pid
  for known in "${SERVICES[@]}"; do [ "$svc" = "$known" ] && break; done
  if [ "$svc" != "$known" ]; then
    echo "usage: $0 restart <service>, one of: ${SERVICES[*]}" >&2
    exit 2
  fi
  if ! pid=$(cat "$RUN_DIR/$svc.pid" 2>/dev/null) || ! touch "$RUN_DIR/$svc.restarting" ||
    ! kill -TERM "$pid" 2>/dev/null; then
    rm -f "$RUN_DIR/$svc.restarting"
    echo "sipcc: $svc is not running under scripts/sipcc.sh run or serve (no live pid in $RUN_DIR/$svc.pid)" >&2
    exit 1
  fi
  echo "sipcc: stopping $svc (pid $pid); serve starts it again"
}

build_asterisk() {
  # Root (apt-get, the prefix) only when there is something to build.
  bash scripts/build-asterisk.sh --check "$ASTERISK_ARCHIVES" "$ASTERISK_PREFIX" ||
    as_root bash scripts/build-asterisk.sh "$ASTERISK_ARCHIVES" "$ASTERISK_PREFIX"
}

run_tests() {
  (cd "$BUILD_DIR" && ctest --output-on-failure --timeout 300)
}

# Every harness over its seeds and regression corpus, then $1 seconds each
# of new inputs (0: none, what the test command runs: random inputs would make
# its outcome differ run to run); any crash fails (tests/fuzz/run.sh).
fuzz() {
  cmake -S . -B "$FUZZ_BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DSIPCC_FUZZ=ON >/dev/null
  cmake --build "$FUZZ_BUILD_DIR" -j"$(nproc)"
  bash tests/fuzz/run.sh "$FUZZ_BUILD_DIR" "$1"
}

case "${1:-}" in
  run) install_missing; build; serve ;;
  serve) serve ;;
  restart) restart_one "${2:-}" ;;
  test) install_missing; build; build_asterisk; fuzz 0; run_tests ;;
  build) install_missing; build ;;
  fuzz) install_missing; fuzz "${2:-2}" ;;
  *) echo "usage: $0 run|serve|restart <service>|test|build|fuzz [seconds]" >&2; exit 2 ;;
esac
