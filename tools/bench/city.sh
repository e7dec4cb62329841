#!/usr/bin/env bash
# Runs the benchmarks of docs/BENCHMARKS.md against a city data set made by
# "suyuan seed --scale city". Usage, from the repository's root:
#
#	tools/bench/city.sh NAME DSN WIDEST_BATCH_ID
#
# e.g. tools/bench/city.sh sqlite /tmp/city.db 7
# The results go to /tmp/bench-NAME.txt. It creates an administrator
# (phone 13800000009) in the database, starts the server on
# 127.0.0.1:18181 without rate limits, and stops it at the end.
set -u
name=$1 dsn=$2 widest=$3
out=/tmp/bench-$name.txt
bin=$(mktemp -d)/suyuan
go build -o "$bin" ./cmd/suyuan
: >"$out"
export SUYUAN_PASSWORD='a long benchmark password'
echo "$SUYUAN_PASSWORD" | "$bin" admin --db "$dsn" --phone 13800000009 --credit-code 91350100M000100Y43 --region 510000 >>"$out" 2>&1
start() {
	SUYUAN_LOG_LEVEL=warn "$bin" serve --db "$dsn" --addr 127.0.0.1:18181 --demo=false \
		--rate-limit=-1 --page-rate-limit=-1 "$@" >"/tmp/server-$name.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 60); do curl -sf 127.0.0.1:18181/healthz >/dev/null && return; sleep 1; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; }
lt() { go run ./tools/loadtest -url http://127.0.0.1:18181 -db "$dsn" -phone 13800000009 "$@" >>"$out" 2>&1; }

start
echo "| scenario | requests | req/s | p50 | p90 | p99 | max | success |" >>"$out"
lt -scenario trace -duration 20s -workers 16
lt -scenario lineage -batch "$widest" -duration 15s -workers 4
lt -scenario impact -batch "$widest" -duration 15s -workers 4
lt -scenario export -batch "$widest" -duration 10s -workers 2
lt -scenario page -sample 200 -duration 15s -workers 32
lt -scenario page-json -sample 200 -duration 15s -workers 32
stop
start --page-cache-ttl=-1s
echo "uncached pages:" >>"$out"
lt -scenario page -duration 15s -workers 8
lt -scenario page -duration 15s -workers 1
stop
echo "go benchmarks:" >>"$out"
SUYUAN_BENCH_DB="$dsn" go test ./internal/trace -run '^$' -bench . -benchtime 5s >>"$out" 2>&1
