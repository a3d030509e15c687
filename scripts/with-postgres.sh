#!/usr/bin/env bash
# Runs a command with PROCURA_TEST_DATABASE_URL pointing at a PostgreSQL
# server: the one named by that variable if set, else the one on
# 127.0.0.1:5432, else a throwaway cluster started here with the local
# PostgreSQL binaries (installed with apt when missing and running as root).
set -euo pipefail

reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if [ -z "${PROCURA_TEST_DATABASE_URL:-}" ]; then
  if reachable 127.0.0.1 5432; then
    export PROCURA_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
  else
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bindir" ]; then
      if [ "$(id -u)" != 0 ]; then
        echo "No PostgreSQL reachable and no local binaries: install postgresql or set PROCURA_TEST_DATABASE_URL." >&2
        exit 1
      fi
      echo "Installing PostgreSQL with apt…" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    dir=$(mktemp -d /tmp/procura-pg.XXXXXX)
    port=55432
    runas=()
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      chown postgres "$dir"
      runas=(runuser -u postgres --)
    fi
    "${runas[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
    "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    trap '"${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$dir"' EXIT
    export PROCURA_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    echo "Started a throwaway PostgreSQL on port $port." >&2
  fi
fi
"$@"
