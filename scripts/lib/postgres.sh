# Provides a PostgreSQL server for the tests and exports KEYWARD_TEST_POSTGRES_URL.
# Order: an explicit KEYWARD_TEST_POSTGRES_URL; a server on 127.0.0.1:5432 (trust auth, user
# postgres); else a throw-away cluster on a free loopback port, stopped when the script exits.

port_answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

ensure_postgres() {
  if [ -n "${KEYWARD_TEST_POSTGRES_URL:-}" ]; then
    export KEYWARD_TEST_POSTGRES_SOURCE="from KEYWARD_TEST_POSTGRES_URL"
    return 0
  fi
  if port_answers 127.0.0.1 5432; then
    export KEYWARD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
    export KEYWARD_TEST_POSTGRES_SOURCE="the server already listening on 127.0.0.1:5432"
    return 0
  fi
  start_cluster -c fsync=off -c max_connections=300 || return 1
  trap 'eval "$PG_CLUSTER_STOP" >/dev/null 2>&1 || true' EXIT
  export KEYWARD_TEST_POSTGRES_URL="$PG_CLUSTER_URL"
  export KEYWARD_TEST_POSTGRES_SOURCE="a throw-away cluster ($PG_CLUSTER_VERSION)"
}

# Starts a throw-away cluster on a free loopback port, with PostgreSQL's defaults and the server
# options given (`-c name=value` …); installs Debian's postgresql if no initdb is found. Sets
# PG_CLUSTER_URL, PG_CLUSTER_STOP (a command) and PG_CLUSTER_VERSION. The caller stops it.
start_cluster() {
  local bin
  if ! bin=$(find_pg_bin); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "no PostgreSQL found: installing Debian's postgresql package"
      apt_install postgresql
      bin=$(find_pg_bin) || { echo "postgresql installed but initdb not found" >&2; return 1; }
    else
      echo "no PostgreSQL: set KEYWARD_TEST_POSTGRES_URL, run one on 127.0.0.1:5432, or run as root with apt" >&2
      return 1
    fi
  fi
  local dir port runas=()
  dir=$(mktemp -d /tmp/keyward-pg.XXXXXX)
  port=$(free_port)
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: use the postgres system user (created by Debian's package).
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
    runas=(runuser -u postgres --)
  fi
  "${runas[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  "${runas[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $*" start >/dev/null
  PG_CLUSTER_STOP="${runas[*]} $bin/pg_ctl -D $dir/data -m immediate stop"
  PG_CLUSTER_URL="postgres://postgres@127.0.0.1:$port/postgres"
  PG_CLUSTER_VERSION="$("$bin/postgres" --version) in $dir"
}
