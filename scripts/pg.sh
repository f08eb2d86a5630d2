#!/usr/bin/env bash
# Ensures a PostgreSQL server for development and tests and prints its admin URL on stdout.
#
# With DATABASE_URL set it prints that and does nothing else. Otherwise it runs a private
# cluster under ./.data/pg (loopback only), creating and starting it when needed with the
# machine's PostgreSQL binaries; where those are missing it installs them with apt-get
# (Debian/Ubuntu, as root). Progress goes to stderr.
#
# Port: each checkout has its own cluster on its own port, kept in ./.data/pg.port and reused.
# A new cluster takes $BILLINGD_DEV_PGPORT if set, else the first free port from 25432 up; a
# cluster whose port another process has taken meanwhile moves to a free one when it starts.
# So `make test` in one clone and `make run` in another never fight over a port.
#
#   pg.sh              ensure the cluster runs; print its admin URL
#   pg.sh --db NAME    the same, printing the URL of database NAME (created if missing)
#   pg.sh --running    exit 0 when this checkout's cluster is running, 1 otherwise
#   pg.sh --stop       stop this checkout's cluster if it runs
set -euo pipefail

dbname=""
mode=ensure
case "${1:-}" in
  --db) dbname="${2:?--db needs a name}" ;;
  --running) mode=running ;;
  --stop) mode=stop ;;
  "") ;;
  *) echo "pg.sh: unknown argument ${1} (want --db NAME, --running or --stop)" >&2; exit 2 ;;
esac

if [ -n "${DATABASE_URL:-}" ] && [ "$mode" = ensure ]; then
  echo "$DATABASE_URL"
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data/pg"
log="$root/.data/pg.log"
portfile="$root/.data/pg.port"

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: $BILLINGD_DEV_PGPORT, or the first free port from 25432 up. The range lies below
# Linux's ephemeral ports (32768-60999), which the kernel hands to outgoing connections: a port
# there may look free (nothing listens) and still be taken when PostgreSQL binds it.
free_port() {
  if [ -n "${BILLINGD_DEV_PGPORT:-}" ]; then echo "$BILLINGD_DEV_PGPORT"; return 0; fi
  local p
  for p in $(seq 25432 25632); do
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "pg.sh: no free port in 25432-25632; set BILLINGD_DEV_PGPORT" >&2
  return 1
}

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  return 1
}

bin=$(find_bin || true)
if [ -z "$bin" ] && [ "$mode" != ensure ]; then
  [ "$mode" = running ] && exit 1
  exit 0
fi
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pg.sh: PostgreSQL binaries not found; installing them with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >&2
    bin=$(find_bin || true)
  fi
  if [ -z "$bin" ]; then
    echo "pg.sh: PostgreSQL server binaries (initdb, pg_ctl) are missing: install PostgreSQL >= 13 (apt-get install postgresql) or set DATABASE_URL to an existing database" >&2
    exit 1
  fi
fi

# initdb and postgres refuse to run as root: run them as the postgres system user.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  as_owner=(runuser -u postgres --)
fi

running() { [ -s "$data/PG_VERSION" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }
case "$mode" in
  running) running; exit $? ;;
  stop)
    if running; then
      echo "pg.sh: stopping the private cluster in $data" >&2
      "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    exit 0 ;;
esac

mkdir -p "$root/.data"
if [ ! -s "$data/PG_VERSION" ]; then
  port=$(free_port)
  echo "pg.sh: creating a private cluster in $data" >&2
  rm -rf "$data"
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres "$data" "$root/.data"; touch "$log"; chown postgres "$log"; fi
  chmod 700 "$data"
  "${as_owner[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  cat >>"$data/postgresql.conf" <<CONF
# billingd development cluster: loopback only, tuned for tests (not durable).
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 400
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
CONF
fi
if [ "$(id -u)" = 0 ]; then chown postgres "$log" 2>/dev/null || true; fi

# The cluster's port is the last "port =" line of its configuration.
port=$(sed -nE 's/^port = ([0-9]+).*/\1/p' "$data/postgresql.conf" | tail -n 1)
if ! running; then
  if ! port_free "$port"; then
    new=$(BILLINGD_DEV_PGPORT="" free_port)
    echo "pg.sh: port $port is taken by another process; this checkout's cluster moves to $new" >&2
    port=$new
    echo "port = $port" >>"$data/postgresql.conf"
  fi
  # A port can be taken between the check and the bind (another checkout's cluster starting,
  # a connection's source port): then the cluster moves to another free port, up to 3 times.
  for attempt in 1 2 3; do
    echo "pg.sh: starting PostgreSQL on 127.0.0.1:$port (log: $log)" >&2
    mark=$(wc -l <"$log" 2>/dev/null || echo 0)
    if "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null; then break; fi
    if [ "$attempt" = 3 ] || ! tail -n +"$((mark + 1))" "$log" | grep -q "could not bind"; then exit 1; fi
    new=$(BILLINGD_DEV_PGPORT="" free_port)
    [ "$new" = "$port" ] && sleep 1 && new=$(BILLINGD_DEV_PGPORT="" free_port)
    echo "pg.sh: port $port was taken as PostgreSQL bound it; this checkout's cluster moves to $new" >&2
    port=$new
    echo "port = $port" >>"$data/postgresql.conf"
  done
fi
echo "$port" >"$portfile"
echo "pg.sh: this checkout's PostgreSQL is on 127.0.0.1:$port" >&2

admin="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
if [ -z "$dbname" ]; then
  echo "$admin"
  exit 0
fi
psql="$bin/psql"
[ -x "$psql" ] || psql=psql
if [ "$("$psql" "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" != 1 ]; then
  echo "pg.sh: creating database $dbname" >&2
  "$psql" "$admin" -qc "CREATE DATABASE \"$dbname\"" >&2
fi
echo "postgres://postgres@127.0.0.1:$port/$dbname?sslmode=disable"
