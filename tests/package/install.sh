#!/usr/bin/env bash
# Spec D3: the Debian package installs, runs and goes away. Installs DEB with dpkg -i, checks the
# installed binary, the unit and the conffile, runs `keyward serve` with the packaged config on a
# free loopback port (its data in a temporary directory) until /healthz and /readyz answer, then
# purges the package and checks nothing of it is left. Needs root, as dpkg does.
set -euo pipefail
deb=$1
if [ "$(id -u)" != 0 ]; then
  echo "skipped: installing a package needs root (CI runs as root)"
  exit 0
fi
fail() { echo "package test failed: $*" >&2; exit 1; }
if dpkg-query -W keyward >/dev/null 2>&1; then fail "a keyward package is installed already; remove it first"; fi

dpkg -i "$deb" >/dev/null
trap 'dpkg --purge keyward >/dev/null 2>&1 || true' EXIT
version=$(dpkg-query -W -f='${Version}' keyward)
[ "$(/usr/bin/keyward --version)" = "keyward $version" ] || fail "keyward --version: $(/usr/bin/keyward --version)"
dpkg-query -W -f='${Conffiles}\n' keyward | grep -q '^ /etc/keyward/keyward.toml ' || fail "keyward.toml is not a conffile"
[ -f /usr/lib/systemd/system/keyward.service ] || fail "no systemd unit"
grep -q '^DynamicUser=yes' /usr/lib/systemd/system/keyward.service || fail "the unit lost DynamicUser"

data=$(mktemp -d)
log="$data/serve.log"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
KEYWARD_DATA_DIR="$data" /usr/bin/keyward --config /etc/keyward/keyward.toml serve --listen "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q ok || { cat "$log"; fail "/healthz"; }
curl -fsS "http://127.0.0.1:$port/readyz" | grep -q ready || { cat "$log"; fail "/readyz"; }
grep -q '"level"' "$log" || { cat "$log"; fail "the packaged config logs JSON"; }
[ -f "$data/keyward.db" ] || fail "no database in the data directory"
kill -TERM "$pid"
wait "$pid" || true
rm -rf "$data"

dpkg --purge keyward >/dev/null
trap - EXIT
[ ! -e /usr/bin/keyward ] || fail "/usr/bin/keyward is left after purge"
[ ! -e /etc/keyward/keyward.toml ] || fail "/etc/keyward/keyward.toml is left after purge"
echo "package installed, served /healthz and /readyz, and purged: $deb"
