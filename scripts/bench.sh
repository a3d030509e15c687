#!/usr/bin/env bash
# The performance figures of DESIGN.md §10, as `make bench` runs them
# (through scripts/with-postgres.sh, which sets PROCURA_TEST_DATABASE_URL):
#
#   1. the Go benchmarks of every package (go test -bench), among them
#      BenchmarkCheckUse (1 M mandates) and BenchmarkDelegatedLogin;
#   2. the load test: procura dev on a fresh PostgreSQL database, then
#      cmd/loadgen: complete delegated logins at the maximum rate, then
#      at half of it, with the server's RSS and CPU.
#
# Knobs (environment):
#   BENCH_GO=0            skip the Go benchmarks
#   BENCH_GO_FLAGS        their flags (default: -benchtime 3s)
#   BENCH_LOAD=0          skip the load test
#   BENCH_DURATION=30s    measured length of each load phase
#   BENCH_MAX_DURATION    measured length of the max phase (default
#                         BENCH_DURATION): `make soak` measures the maximum
#                         briefly, then holds half of it for BENCH_DURATION
#   BENCH_OUT=load        name of the results file (bin/bench/<name>.json)
#   BENCH_MODE=both       loadgen -mode: max, rate (BENCH_RATE/s) or both
#   BENCH_AIDANTS=32      virtual aidants (logins in flight in the max phase)
#   BENCH_USAGERS=10      usagers with a mandate in the organisation (≤ 10)
#   BENCH_PROFILE=1       serve with bench/profserver (pprof) and keep the
#                         CPU, allocation and contention profiles of the max
#                         phase in bin/bench/
#   BENCH_PORT=18089      port of the server (loopback)
#   BENCH_DB_SETTINGS     PostgreSQL settings of the bench database only, e.g.
#                         "synchronous_commit=off" (ALTER DATABASE … SET)
#   BENCH_LOADGEN_FLAGS   more loadgen flags, e.g. "-signin-parallel 16"
#   BENCH_PEER=0          skip the side-by-side run: ../shared/bench/flowload
#                         drives the same complete login against Procura and
#                         against node oidc-provider 9 (in-memory store), in
#                         one run, BENCH_PEER_DURATION (15s) each, 16 in
#                         flight; results in bin/bench/peer-*.json
# Results: the terminal, and bin/bench/ (go-bench.txt, load.json, server log).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${PROCURA_TEST_DATABASE_URL:?run through scripts/with-postgres.sh (make bench does)}"
GO=${GO:-go}
out=bin/bench
mkdir -p "$out"

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== PostgreSQL: $(psql "$PROCURA_TEST_DATABASE_URL" -Atc 'SHOW server_version' 2>/dev/null || echo '?'), $GO: $($GO env GOVERSION)"

if [ "${BENCH_GO:-1}" != 0 ]; then
  echo "== Go benchmarks (go test -run '^\$' -bench . ${BENCH_GO_FLAGS:--benchtime 3s} ./...)"
  # shellcheck disable=SC2086
  $GO test -run '^$' -bench . ${BENCH_GO_FLAGS:--benchtime 3s} -timeout 30m ./... 2>&1 | tee "$out/go-bench.txt"
fi

[ "${BENCH_LOAD:-1}" != 0 ] || exit 0

echo "== load test: building procura and loadgen"
$GO build -o bin/procura ./cmd/procura
$GO build -o bin/loadgen ./cmd/loadgen
server=(bin/procura dev)
pprof=()
if [ "${BENCH_PROFILE:-0}" != 0 ]; then
  $GO build -o bin/profserver ./bench/profserver
  server=(bin/profserver -pprof 127.0.0.1:6060)
  pprof=(-pprof http://127.0.0.1:6060 -pprof-dir "$out")
fi

# A fresh database on the same PostgreSQL server, dropped at the end.
db="procura_bench_$$"
base=${PROCURA_TEST_DATABASE_URL%%\?*}
query=${PROCURA_TEST_DATABASE_URL#"$base"}
port=${BENCH_PORT:-18089}
export PROCURA_DATABASE_URL="${base%/*}/$db$query"
export PROCURA_BASE_URL="http://127.0.0.1:$port"
export PROCURA_LISTEN_ADDR="127.0.0.1:$port"
export PROCURA_LOG_LEVEL=error
PROCURA_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export PROCURA_MASTER_KEY
psql "$PROCURA_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
for setting in ${BENCH_DB_SETTINGS:-}; do
  psql "$PROCURA_TEST_DATABASE_URL" -qc "ALTER DATABASE $db SET ${setting%%=*} = '${setting#*=}'" >/dev/null
  echo "== bench database setting: $setting"
done

pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  psql "$PROCURA_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"${server[@]}" >"$out/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  curl -fsS "$PROCURA_BASE_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$out/server.log" >&2; exit 1; }
  sleep 0.1
done
echo "== load test: ${server[*]} (pid $pid) on $PROCURA_BASE_URL, database $db"

bin/loadgen -base "$PROCURA_BASE_URL" -procura bin/procura -server-pid "$pid" \
  -mode "${BENCH_MODE:-both}" -rate "${BENCH_RATE:-100}" \
  -duration "${BENCH_DURATION:-30s}" -max-duration "${BENCH_MAX_DURATION:-${BENCH_DURATION:-30s}}" -aidants "${BENCH_AIDANTS:-32}" -usagers "${BENCH_USAGERS:-10}" \
  -json "$out/${BENCH_OUT:-load}.json" "${pprof[@]}" ${BENCH_LOADGEN_FLAGS:-}

if [ "${BENCH_PROFILE:-0}" != 0 ]; then
  echo "== profiles in $out: go tool pprof -top bin/profserver $out/max-cpu.pprof"
  $GO tool pprof -top -nodecount 25 bin/profserver "$out/max-cpu.pprof" 2>/dev/null | head -35 || true
fi

if [ "${BENCH_PEER:-1}" != 0 ] && [ -d ../shared/bench/flowload ]; then
  echo "== side by side: the same delegated login against Procura and node oidc-provider 9 (in-memory)"
  rm -f "$out/peer-fixtures.json" # fixtures of this run's database only
  bin/loadgen -base "$PROCURA_BASE_URL" -procura bin/procura -aidants 16 -usagers "${BENCH_USAGERS:-10}" \
    -setup-only -fixtures "$out/peer-fixtures.json" >/dev/null
  $GO -C ../shared/bench/flowload build -o "$PWD/bin/flowload" .
  mkdir -p bin/peer
  cp ../shared/bench/peers/oidc-provider.mjs bin/peer/
  [ -d bin/peer/node_modules/oidc-provider ] || npm install --prefix bin/peer --no-audit --no-fund --silent oidc-provider@9 >/dev/null
  peerport=$((port + 1))
  node bin/peer/oidc-provider.mjs "$peerport" >"$out/peer.log" 2>&1 &
  peerpid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$peerport/.well-known/openid-configuration" >/dev/null 2>&1 && break; sleep 0.1; done
  d=${BENCH_PEER_DURATION:-15s}
  bin/flowload -issuer "http://127.0.0.1:$peerport" -secret bench-secret-bench-secret-bench-secret -c 16 -d "$d" >"$out/peer-oidc-provider.json"
  bin/flowload -issuer "$PROCURA_BASE_URL" -mode procura -fixtures "$out/peer-fixtures.json" -c 16 -d "$d" >"$out/peer-procura.json"
  kill "$peerpid" 2>/dev/null || true
  echo "oidc-provider: $(cat "$out/peer-oidc-provider.json")"
  echo "procura:       $(cat "$out/peer-procura.json")"
fi
