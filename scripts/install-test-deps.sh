#!/usr/bin/env bash
# Installs the servers the test suite starts as throwaway instances (Redis, PostgreSQL server
# binaries), openssl, oathtool and chromium, from Debian's packages. Safe to re-run: it installs only what is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The transaction-pooling tests put Debian's PgBouncer in front of the throwaway PostgreSQL.
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
# The SMTP tests make a throwaway TLS certificate with the openssl command.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The TOTP tests check our codes against an implementation not written here.
command -v oathtool >/dev/null 2>&1 || missing+=(oathtool)
# The browser tests drive Debian's chromium through playwright-core (no downloaded browser).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages may start system-wide services; the tests never use them.
echo "test dependencies: redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/'), postgres $(ls /usr/lib/postgresql/), $(/usr/sbin/pgbouncer --version | head -1), $(chromium --version 2>/dev/null | head -1)"
