#!/bin/sh
# Makes a private CA and the certificates for TLS on the sipcc bus:
#   ca.pem                    the CA every party trusts (SIPCC_NATS_CA)
#   server.pem server-key.pem nats-server's (--tlscert/--tlskey), valid for the
#                             names and addresses given
#   client.pem client-key.pem one client certificate for the services and
#                             sipccctl (SIPCC_NATS_CERT/SIPCC_NATS_KEY), for a
#                             server that verifies clients (--tlsverify)
# Usage: nats-tls-certs.sh <dir> [SAN ...]   SANs like IP:127.0.0.1 DNS:nats
# (default: IP:127.0.0.1 DNS:localhost DNS:nats). Keys are P-256, valid 825 days.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 <dir> [IP:addr|DNS:name ...]" >&2; exit 2; }
dir=$1
shift
[ $# -gt 0 ] || set -- IP:127.0.0.1 DNS:localhost DNS:nats
san=$(printf '%s,' "$@")
san=${san%,}
mkdir -p "$dir"
cd "$dir"
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca-key.pem
openssl req -x509 -new -key ca-key.pem -out ca.pem -days 825 -subj "/CN=sipcc bus CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# $1 name, $2 subject CN, $3 extensions
issue() {
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -out "$1.csr" -subj "/CN=$2"
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out "$1.pem" \
    -days 825 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "sipcc nats" "subjectAltName=$san
extendedKeyUsage=serverAuth"
issue client "sipcc services" "extendedKeyUsage=clientAuth"
rm -f ca.srl
chmod 644 ca.pem server.pem client.pem
echo "made ca.pem, server.pem, server-key.pem, client.pem, client-key.pem in $dir (server: $san)"
