#!/usr/bin/env bash
# scripts/sipcc.sh serve on free ports: a service killed with SIGKILL is
# started again, so is one whose root actor failed (exit status 70, the
# fault injected by the test), `restart <service>` restarts one, Ctrl-C stops everything
# (no process left, NATS and SIP ports free, no SIGKILL needed), and so do
# nats-server ending and SIGTERM; each new serve takes the same ports again.
# Usage: serve_test.sh <source dir> <build dir>
set -euo pipefail
# Job control: serve runs in its own process group, as in a terminal, so a
# Ctrl-C can be sent to that group.
set -m
SRC=$1
BUILD=$2
TMP=$(mktemp -d /tmp/sipcc-serve-test-XXXXXX)
DEADLINE_S=30
serve_pid=

fail() {
  echo "FAIL: $*" >&2
  echo "--- serve log:" >&2
  cat "$TMP/serve.log" >&2 2>/dev/null || true
  exit 1
}

cleanup() {
  # A failed assertion must not leave the system under test running.
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# Whether a socket listens on TCP port $1 / is bound to UDP port $1 (IPv4 or IPv6).
# (/proc/net/*6 is missing where IPv6 is off.)
tcp_listening() {
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk -v p="$(printf '%04X' "$1")" '$4 == "0A" && $2 ~ ":" p "$" { f = 1 } END { exit !f }'
}
udp_bound() {
  cat /proc/net/udp /proc/net/udp6 2>/dev/null |
    awk -v p="$(printf '%04X' "$1")" '$2 ~ ":" p "$" { f = 1 } END { exit !f }'
}
free_port() {
  local check=$1 p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    $check "$p" || { echo "$p"; return; }
  done
  fail "no free port found"
}

# Whether pid $1 runs: serve's children, which serve reaps (or init, once
# serve is gone), so an ended one is gone at once.
running() { kill -0 "$1" 2>/dev/null; }

# Waits until the serve log has at least $2 lines matching the regex $1.
wait_log() {
  local deadline=$((SECONDS + DEADLINE_S))
  until [ "$(grep -cE -- "$1" "$TMP/serve.log" || true)" -ge "$2" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "no $2 line(s) matching '$1' within ${DEADLINE_S} s"
    sleep 0.1
  done
}

# Waits until pid $1 no longer runs.
wait_gone() {
  local deadline=$((SECONDS + DEADLINE_S))
  while running "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "pid $1 still runs after ${DEADLINE_S} s"
    sleep 0.1
  done
}

# The pid of the latest "started <name> (pid N)" line.
pid_of() {
  grep -oE "sipcc: started $1 \(pid [0-9]+\)" "$TMP/serve.log" | tail -1 | grep -oE '[0-9]+\)' | tr -d ')'
}

every_pid() {
  grep -oE 'sipcc: started [a-z-]+ \(pid [0-9]+\)' "$TMP/serve.log" | grep -oE '[0-9]+\)' | tr -d ')'
}

nats_port=$(free_port tcp_listening)
edge_port=$(free_port udp_bound)
edge2_port=$(free_port udp_bound)
asterisk_port=$(free_port udp_bound)
sed -e "s|nats://127.0.0.1:4222|nats://127.0.0.1:$nats_port|" \
    -e "s|bind: 127.0.0.1:5060|bind: 127.0.0.1:$edge_port|" \
    -e "s|address: 127.0.0.1:5070|address: 127.0.0.1:$asterisk_port|" \
    "$SRC/deploy/sipcc.yaml" >"$TMP/sipcc.yaml"
grep -q ":$edge_port" "$TMP/sipcc.yaml" || fail "deploy/sipcc.yaml no longer binds sip-edge to 127.0.0.1:5060"

# Arguments: more VAR=value for serve's environment (and so its services').
start_serve() {
  : >"$TMP/serve.log"
  env "$@" SIPCC_BUILD_DIR="$BUILD" SIPCC_RUN_DIR="$TMP/run" SIPCC_CONFIG="$TMP/sipcc.yaml" \
    SIPCC_EDGE2_BIND="127.0.0.1:$edge2_port" \
    SIPCC_NATS_SECRETS="$TMP/secrets" SIPCC_NATS_PORT="$nats_port" "$SRC/scripts/sipcc.sh" serve >"$TMP/serve.log" 2>&1 &
  serve_pid=$!
  wait_log ' ready: ' 7
}

# Publishes an empty payload (a FaultInjection with every field at its
# default) on subject $1 in the NATS text protocol: there is no NATS CLI here.
# Serve runs the bus with authorization: this is the operator (serve made
# its password), who may inject faults; a refusal fails the test.
nats_publish_empty() {
  local line password
  password=$(head -n1 "$TMP/secrets/operator.password")
  exec 3<>"/dev/tcp/127.0.0.1/$nats_port"
  printf 'CONNECT {"verbose":false,"user":"operator","pass":"%s"}\r\nPUB %s 0\r\n\r\nPING\r\n' \
    "$password" "$1" >&3
  # The server's PONG says it has taken the publish.
  while read -r -t "$DEADLINE_S" line <&3; do
    case "${line%$'\r'}" in
      PONG) break ;;
      -ERR*) fail "NATS refused the fault injection: $line" ;;
    esac
  done
  exec 3>&-
}

# Whether the bus refuses a client that gives no user (authorization on).
nats_refuses_anonymous() {
  local line refused=1
  exec 3<>"/dev/tcp/127.0.0.1/$nats_port"
  printf 'CONNECT {"verbose":false}\r\nPING\r\n' >&3
  while read -r -t "$DEADLINE_S" line <&3; do
    case "${line%$'\r'}" in
      PONG) break ;;
      "-ERR 'Authorization Violation'") refused=0; break ;;
    esac
  done
  exec 3>&-
  return $refused
}

# Reaps serve and checks that it stopped everything it started.
expect_stopped() {
  local want_status=$1 status=0 pid
  wait_log '^sipcc: stopped$' 1
  wait "$serve_pid" || status=$?
  serve_pid=
  [ "$status" -eq "$want_status" ] || fail "serve exited with $status, not $want_status"
  for pid in $(every_pid); do
    ! running "$pid" || fail "pid $pid is still running after serve ended"
  done
  ! tcp_listening "$nats_port" || fail "NATS port $nats_port is still taken"
  ! udp_bound "$edge_port" || fail "SIP port $edge_port is still taken"
  ! udp_bound "$edge2_port" || fail "SIP port $edge2_port (edge2) is still taken"
  [ -z "$(ls "$TMP/run"/*.pid 2>/dev/null)" ] || fail "pid files left in $TMP/run"
}

echo "-- a killed service is started again"
# Fault injection on for this run: the next case fails a root actor.
start_serve SIPCC_FAULT_INJECTION=1
edge=$(pid_of sip-edge)
kill -KILL "$edge"
wait_log "^sipcc: sip-edge \(pid $edge\) ended \(killed by signal KILL\); starting it again" 1
wait_log 'sip-edge edge1 ready: ' 2
[ "$(pid_of sip-edge)" != "$edge" ] || fail "sip-edge was not started again"
running "$(pid_of sip-edge)" || fail "the new sip-edge does not run"

echo "-- the bus refuses a client without a user; the services have theirs"
nats_refuses_anonymous || fail "nats-server let a client in without a user"

echo "-- a service whose root actor failed exits 70 and is started again"
router=$(pid_of router)
# The router is a member, router-0-<host>-<pid>: the fault goes to that name.
router_member=$(grep -oE 'router router-0-[^ ]+ ready: ' "$TMP/serve.log" | tail -1 | cut -d' ' -f2)
[ -n "$router_member" ] || fail "no ready line of the router member"
nats_publish_empty "sipcc.ops.$router_member.fault"
wait_log "router router-0-[^ ]+ failed: its root actor ended \(.*injected fault.*\); exiting with status 70" 1
wait_log "^sipcc: router \(pid $router\) ended \(exit status 70\); starting it again" 1
wait_log 'router router-0-[^ ]+ ready: ' 2

echo "-- restart <service> restarts one service"
presence=$(pid_of presence)
SIPCC_RUN_DIR=$TMP/run "$SRC/scripts/sipcc.sh" restart presence
wait_gone "$presence"
# A member's bus name: presence-0-<hostname>-<pid> (no SIPCC_INSTANCE here).
wait_log 'presence presence-0-[^ ]+ ready: ' 2
# An operator's restart is no crash: no backoff, not counted towards the stop.
wait_log "^sipcc: presence \(pid $presence\) restarted on request" 1
! grep -q "^sipcc: presence (pid $presence) ended" "$TMP/serve.log" || fail "restart counted as a crash"
[ ! -e "$TMP/run/presence.restarting" ] || fail "the restart marker was left behind"

echo "-- Ctrl-C (SIGINT to the process group) stops everything"
kill -INT -- "-$serve_pid"
expect_stopped 0
! grep -q 'did not stop' "$TMP/serve.log" || fail "a process had to be killed"

echo "-- nats-server ending stops everything"
start_serve
kill -KILL "$(pid_of nats-server)"
wait_log '^sipcc: nats-server \(pid [0-9]+\) ended \(killed by signal KILL\); stopping everything' 1
expect_stopped 1

echo "-- SIGTERM stops everything"
start_serve
kill -TERM "$serve_pid"
expect_stopped 0
! grep -q 'did not stop' "$TMP/serve.log" || fail "a process had to be killed"
echo "PASS"
