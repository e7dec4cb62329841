#!/usr/bin/env bash
# Asks the wide questions — the downstream lineage and the recall impact
# of the widest lot, as the load tool asks them — over HTTP at 4
# concurrent requests, and prints each round's p50 and p99 and the
# server's CPU time per request (utime + stime from /proc/PID/stat, which
# stays comparable when the machine is shared).
#
#	tools/bench/wide.sh DSN [ROUNDS] [SECONDS]
#
# e.g. tools/bench/wide.sh /tmp/city.db 2 15. With BASE=REV it also builds
# that revision and runs the two builds in alternating rounds, so that a
# change is measured against what it changes, on the same machine at the
# same time: BASE=HEAD~1 tools/bench/wide.sh /tmp/city.db.
# SCENARIOS="lineage impact" picks some, BATCH the lot (default: the one
# reaching the most stores). The questions are asked as an administrator
# (phone 13800000009), created in the database if it is not there.
set -euo pipefail
cd "$(dirname "$0")/../.."
dsn=$1 rounds=${2:-2} secs=${3:-15}
scenarios=${SCENARIOS:-lineage impact}
bin=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$bin"' EXIT
go build -o "$bin/ours" ./cmd/suyuan
go build -o "$bin/loadtest" ./tools/loadtest
builds=ours
if [ -n "${BASE:-}" ]; then
	git worktree add -q --detach "$bin/base-src" "$BASE"
	(cd "$bin/base-src" && go build -o "$bin/base" ./cmd/suyuan)
	git worktree remove --force "$bin/base-src"
	builds="base ours"
fi
export SUYUAN_PASSWORD=${SUYUAN_PASSWORD:-a long benchmark password}
export SUYUAN_SECRET=${SUYUAN_SECRET:-a benchmark secret, at least 32 characters long}
# A second run finds the administrator there already, which admin refuses.
echo "$SUYUAN_PASSWORD" | "$bin/ours" admin --db "$dsn" --phone 13800000009 \
	--credit-code 91350100M000100Y43 --region 510000 >/dev/null 2>&1 || true
hz=$(getconf CLK_TCK)

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# attack SCENARIO DURATION: the load tool's table row.
attack() {
	"$bin/loadtest" -url http://127.0.0.1:18191 -db "$dsn" -phone 13800000009 -scenario "$1" \
		-batch "${BATCH:-0}" -workers 4 -duration "$2" | grep '^| '
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | round | build | requests | p50 | p99 | CPU ms/request |"
echo "|---|---|---|---|---|---|---|"
for sc in $scenarios; do
	for r in $(seq 1 "$rounds"); do
		for b in $builds; do
			"$bin/$b" serve --db "$dsn" --addr 127.0.0.1:18191 --mode production --demo=false \
				--rate-limit=-1 --page-rate-limit=-1 --screen-interval=0 >"$bin/$b.log" 2>&1 &
			pid=$!
			for _ in $(seq 1 120); do curl -sf 127.0.0.1:18191/healthz >/dev/null && break; sleep 0.5; done
			attack "$sc" 3s >/dev/null # warm the server's caches
			before=$(cpu $pid)
			row=$(attack "$sc" "${secs}s")
			after=$(cpu $pid)
			kill $pid
			wait $pid 2>/dev/null || true
			pid=
			echo "$row" | awk -F'|' -v sc="$sc" -v r="$r" -v b="$b" -v t=$((after - before)) -v hz="$hz" '{
				n = $3 + 0; gsub(/^ +| +$/, "", $5); gsub(/^ +| +$/, "", $7)
				printf "| %s | %s | %s | %d | %s | %s | %.1f |\n", sc, r, b, n, $5, $7, t * 1000 / hz / n }'
		done
	done
done
