#!/usr/bin/env bash
# Runs the service and the floor (tools/bench/floor, the hand-written
# yardstick) side by side on one database, in alternating rounds with the
# same load tool, the same random codes and the same workers, and prints
# each round and the ratios ours/floor: throughput, p99 and server CPU time
# per request, read from each process's own counters (/proc/PID/stat,
# utime + stime), which stay comparable when the machine is shared.
#
#	tools/bench/sidebyside.sh DSN [ROUNDS] [SECONDS] [WORKERS]
#
# e.g. tools/bench/sidebyside.sh /tmp/city.db 3 15 16. Scenarios: trace
# (GraphQL trace of a random code against the floor's hand-written answer)
# and page (the cached consumer page against a handler writing a fixed
# byte slice), page-json likewise; the pages are those of PAGE_SAMPLE
# codes (default 200, so that the page cache holds them: the scenario
# measures a cached page). SCENARIOS="trace page" picks some.
# With MariaDB, DB_PID=PID of its server adds the database server's CPU time
# per request (both servers' SQL runs there).
# SERVE_FLAGS adds flags to "suyuan serve"; PROFILE=DIR saves a CPU and an
# allocation profile of the service's last round of each scenario there
# (SCENARIO-cpu.pprof, SCENARIO-allocs.pprof: compare the latter with
# -base SCENARIO-allocs-before.pprof for the round's allocations).
set -euo pipefail
cd "$(dirname "$0")/../.."
dsn=$1 rounds=${2:-3} secs=${3:-15} workers=${4:-16}
scenarios=${SCENARIOS:-trace page page-json}
bin=$(mktemp -d)
go build -o "$bin/suyuan" ./cmd/suyuan
go build -o "$bin/floor" ./tools/bench/floor
go build -o "$bin/loadtest" ./tools/loadtest
hz=$(getconf CLK_TCK)

SUYUAN_SECRET=${SUYUAN_SECRET:-a benchmark secret, at least 32 characters long} \
	"$bin/suyuan" serve --db "$dsn" --addr 127.0.0.1:18181 --mode production --demo=false \
	--rate-limit=-1 --page-rate-limit=-1 --screen-interval=0 --admin-addr 127.0.0.1:18183 \
	${SERVE_FLAGS:-} >"$bin/ours.log" 2>&1 &
ours=$!
"$bin/floor" -db "$dsn" -addr 127.0.0.1:18182 >"$bin/floor.log" 2>&1 &
floor=$!
trap 'kill $ours $floor 2>/dev/null; wait 2>/dev/null' EXIT
for url in 127.0.0.1:18181/healthz 127.0.0.1:18182/t/x; do
	for _ in $(seq 1 120); do curl -sf "$url" >/dev/null && break; sleep 0.5; done
done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sample() { if [ "$1" = trace ]; then echo 10000; else echo "${PAGE_SAMPLE:-200}"; fi; }

# one PID URL SCENARIO: one attack; prints "requests rps p99_ms
# cpu_ms_per_request db_cpu_ms_per_request".
one() {
	local before after row dbbefore=0 dbafter=0
	before=$(cpu "$1")
	[ -n "${DB_PID:-}" ] && dbbefore=$(cpu "$DB_PID")
	row=$("$bin/loadtest" -url "http://$2" -db "$dsn" -scenario "$3" -duration "${secs}s" \
		-workers "$workers" -seed 1 -sample "$(sample "$3")" | grep '^| ')
	after=$(cpu "$1")
	[ -n "${DB_PID:-}" ] && dbafter=$(cpu "$DB_PID")
	echo "$row" | awk -F'|' -v t=$((after - before)) -v d=$((dbafter - dbbefore)) -v hz="$hz" '{
		n = $3 + 0; gsub(/ ms/, "", $7)
		printf "%d %.0f %.2f %.3f %.3f\n", n, $4, $7, t * 1000 / hz / n, d * 1000 / hz / n }'
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $rounds rounds of ${secs}s, $workers workers"
for sc in $scenarios; do
	# Warm both (and the service's page cache) before measuring.
	"$bin/loadtest" -url http://127.0.0.1:18181 -db "$dsn" -scenario "$sc" -duration 3s -workers "$workers" -seed 1 -sample "$(sample "$sc")" >/dev/null
	"$bin/loadtest" -url http://127.0.0.1:18182 -db "$dsn" -scenario "$sc" -duration 3s -workers "$workers" -seed 1 -sample "$(sample "$sc")" >/dev/null
	echo
	echo "| $sc | round | server | requests | req/s | p99 ms | CPU ms/request | database CPU ms/request |"
	echo "|---|---|---|---|---|---|---|---|"
	: >"$bin/$sc.txt"
	for r in $(seq 1 "$rounds"); do
		if [ -n "${PROFILE:-}" ] && [ "$r" = "$rounds" ]; then
			mkdir -p "$PROFILE"
			curl -s -o "$PROFILE/$sc-cpu.pprof" "http://127.0.0.1:18183/debug/pprof/profile?seconds=$((secs - 2))" &
			prof=$!
			curl -s -o "$PROFILE/$sc-allocs-before.pprof" "http://127.0.0.1:18183/debug/pprof/allocs"
		fi
		o=$(one $ours 127.0.0.1:18181 "$sc")
		if [ -n "${prof:-}" ]; then
			wait $prof
			curl -s -o "$PROFILE/$sc-allocs.pprof" "http://127.0.0.1:18183/debug/pprof/allocs"
			prof=
		fi
		f=$(one $floor 127.0.0.1:18182 "$sc")
		echo "ours $o" >>"$bin/$sc.txt"
		echo "floor $f" >>"$bin/$sc.txt"
		set -- $o; echo "| | $r | ours | $1 | $2 | $3 | $4 | $5 |"
		set -- $f; echo "| | $r | floor | $1 | $2 | $3 | $4 | $5 |"
	done
	# Ratios of the medians over the rounds.
	awk -v sc="$sc" '
		function median(a, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 == "ours" { no++; ot[no] = $3; op[no] = $4; oc[no] = $5; od[no] = $6 }
		$1 == "floor" { nf++; ft[nf] = $3; fp[nf] = $4; fc[nf] = $5; fd[nf] = $6 }
		END {
			printf "%s, ours/floor (medians): throughput %.2f×, p99 %.2f×, CPU per request %.2f× (%.3f ms against %.3f ms)",
				sc, median(ot, no) / median(ft, nf), median(op, no) / median(fp, nf),
				median(oc, no) / median(fc, nf), median(oc, no), median(fc, nf)
			if (median(fd, nf) > 0) printf "; database CPU per request %.3f ms against %.3f ms", median(od, no), median(fd, nf)
			printf "\n"
		}' "$bin/$sc.txt"
done
