#!/usr/bin/env bash
# Makes the bus passwords: one random password for every user of
# deploy/nats/auth.conf that has none yet, kept outside git (the folder is
# ignored):
#   <dir>/<user>.password   the password alone, for SIPCC_NATS_PASSWORD_FILE
#   <dir>/passwords.conf    PASSWORD_<user> = "..." for nats-server
#                           (auth.conf includes secrets/passwords.conf)
# Existing passwords are kept; run it again after adding a user to auth.conf.
# Usage: scripts/nats-auth.sh [dir]   (default deploy/nats/secrets)
set -euo pipefail
cd "$(dirname "$0")/.."
AUTH=${SIPCC_NATS_AUTH_CONF:-deploy/nats/auth.conf}
DIR=${1:-deploy/nats/secrets}
umask 077
mkdir -p "$DIR"
# Only its owner may enter the folder; the files in it may then be readable
# by all, so that a container's own user (docker-compose.yml mounts one file
# into each service) can read its password.
chmod 700 "$DIR"
users=$(grep -oE '^[[:space:]]*\{[[:space:]]*user:[[:space:]]*[A-Za-z0-9_-]+' "$AUTH" | sed -E 's/.*user:[[:space:]]*//')
[ -n "$users" ] || { echo "nats-auth: no user in $AUTH" >&2; exit 1; }
conf=$(mktemp "$DIR/passwords.conf.XXXXXX")
echo "# Made by scripts/nats-auth.sh from $AUTH; keep it secret." >"$conf"
for user in $users; do
  if [ ! -s "$DIR/$user.password" ]; then
    # 32 hex digits: no character nats-server's configuration would quote.
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/$user.password"
    echo >>"$DIR/$user.password"
    chmod 644 "$DIR/$user.password"
    echo "nats-auth: made a password for $user in $DIR/$user.password"
  fi
  echo "PASSWORD_${user//-/_} = \"$(head -n1 "$DIR/$user.password")\"" >>"$conf"
done
mv "$conf" "$DIR/passwords.conf"
