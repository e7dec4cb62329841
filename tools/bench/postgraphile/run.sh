#!/usr/bin/env bash
# Runs the service and PostGraphile v4 side by side on the same data and
# the same questions: the service on the SQLite file CITY_DB, PostGraphile
# on a copy of it in PostgreSQL, made with pgloader. In alternating rounds
# the same load tool (tools/loadtest) asks each the trace of random codes
# (the same codes, same seed) and the downstream walk of the widest lot,
# and the script prints each round's throughput, p99 and CPU time per
# request, and the ratios ours / PostGraphile of the medians.
#
#	tools/bench/postgraphile/run.sh CITY_DB [ROUNDS] [SECONDS] [WORKERS]
#
# e.g. tools/bench/postgraphile/run.sh /tmp/city.db 3 15 16. The trace
# runs with WORKERS workers, the downstream walk with DOWN_WORKERS
# (default 4, as the lineage in docs/BENCHMARKS.md) to DEPTH levels
# (default 5), of the widest lot or of batch BATCH. SCENARIOS="trace
# downstream" picks some.
#
# CPU time per request: the service's is its process's utime + stime
# (/proc/PID/stat), SQLite running inside it. PostGraphile's is the node
# process's plus the PostgreSQL backends serving its database: those alive
# at the end of the round (counted from the start, or from zero for a
# backend that started during it) and those that exited during it (the
# postmaster's cutime + cstime, less what they had used before the round).
# The other PostgreSQL processes (checkpointer, WAL writer, other
# databases' backends) are not counted; the copy is vacuumed and analysed
# first so that autovacuum has nothing to do on it.
#
# What it installs when missing: pgloader (apt-get), PostGraphile
# (npm, pinned below) into WORK (default tools/bench/postgraphile/.work,
# not committed). The copy goes to database PGDB (default suyuan_city) on
# the local server (PGHOST, default /var/run/postgresql; PGUSER default
# postgres; trust authentication); it is made once and reused (RELOAD=1
# makes it again). The database gets jit = off. The script creates an
# administrator (phone 13800000009) in CITY_DB for the lineage, which asks
# for a login. CHECK=0 skips the check that both answer the same rows
# (tools/bench/postgraphile/check_test.go); PROFILE=DIR saves a CPU
# profile of the service's last round of each question there. WARM is
# the seconds of load before the rounds (default 30).
set -euo pipefail
cd "$(dirname "$0")/../../.."
db=$(realpath "$1") rounds=${2:-3} secs=${3:-15} workers=${4:-16}
scenarios=${SCENARIOS:-trace downstream}
depth=${DEPTH:-5} down_workers=${DOWN_WORKERS:-4}
work=${WORK:-tools/bench/postgraphile/.work}
pgdb=${PGDB:-suyuan_city}
export PGHOST=${PGHOST:-/var/run/postgresql} PGUSER=${PGUSER:-postgres}
postgraphile_version=4.14.1
ours_addr=127.0.0.1:18281 pg_addr=127.0.0.1:18282 admin_addr=127.0.0.1:18283
export SUYUAN_PASSWORD=${SUYUAN_PASSWORD:-a long benchmark password}
mkdir -p "$work"
work=$(realpath "$work")
hz=$(getconf CLK_TCK)

# --- what it needs -------------------------------------------------------
if ! command -v pgloader >/dev/null; then
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q pgloader
fi
if [ "$(node -p "require('$work/node/node_modules/postgraphile/package.json').version" 2>/dev/null)" != $postgraphile_version ]; then
	mkdir -p "$work/node"
	npm install --prefix "$work/node" --no-audit --no-fund --save-exact "postgraphile@$postgraphile_version"
fi
bin=$work/bin
mkdir -p "$bin"
go build -o "$bin/suyuan" ./cmd/suyuan
go build -o "$bin/loadtest" ./tools/loadtest

# --- the copy --------------------------------------------------------------
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
copied=$(psql -d postgres -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$pgdb'")
if [ "${RELOAD:-}" = 1 ] || [ "$copied" != "copy of $db" ]; then
	echo "copying $db into PostgreSQL database $pgdb"
	psql -d postgres -c "DROP DATABASE IF EXISTS $pgdb" -c "CREATE DATABASE $pgdb"
	# pgloader over TCP (its URI for a socket is its own); the tables a
	# trace and a lineage read, with their indexes, primary and foreign
	# keys as in the SQLite schema.
	cat >"$work/load.pgl" <<-EOF
	LOAD DATABASE
	  FROM sqlite://$db
	  INTO postgresql://$PGUSER@127.0.0.1:5432/$pgdb
	WITH include drop, create tables, create indexes, reset sequences, foreign keys
	INCLUDING ONLY TABLE NAMES LIKE 'organizations', 'facilities', 'products', 'batches', 'batch_inputs',
	  'shipments', 'shipment_items', 'sensor_readings', 'shelf_events', 'inspections', 'measurements', 'trace_codes';
	EOF
	time pgloader --on-error-stop "$work/load.pgl"
	# PostGraphile looks rows up by unique constraints, not by unique
	# indexes: make the code's index one, for traceCodeByCode. pgloader
	# keeps the columns nullable; PostGraphile's types say so, no more.
	psql -d "$pgdb" <<-EOF
	DO \$\$ DECLARE i text; BEGIN
	  SELECT indexname INTO i FROM pg_indexes WHERE tablename = 'trace_codes' AND indexname LIKE '%trace_codes_code_key';
	  EXECUTE format('ALTER TABLE trace_codes ADD CONSTRAINT trace_codes_code_key UNIQUE USING INDEX %I', i);
	END \$\$;
	ALTER DATABASE $pgdb SET jit = off;
	VACUUM (ANALYZE);
	COMMENT ON DATABASE $pgdb IS 'copy of $db';
	EOF
fi
echo "$SUYUAN_PASSWORD" | "$bin/suyuan" admin --db "$db" --phone 13800000009 \
	--credit-code 91350100M000100Y43 --region 510000 >/dev/null 2>&1 || true # already there

# --- the servers -----------------------------------------------------------
SUYUAN_SECRET=${SUYUAN_SECRET:-a benchmark secret, at least 32 characters long} \
	"$bin/suyuan" serve --db "$db" --addr $ours_addr --mode production --demo=false \
	--rate-limit=-1 --page-rate-limit=-1 --screen-interval=0 --admin-addr $admin_addr \
	${SERVE_FLAGS:-} >"$work/ours.log" 2>&1 &
ours=$!
NODE_ENV=production "$work/node/node_modules/.bin/postgraphile" \
	-c "postgres://$PGUSER@/$pgdb?host=$PGHOST" --host 127.0.0.1 --port "${pg_addr#*:}" \
	--disable-query-log --simple-collections only --disable-graphiql \
	${POSTGRAPHILE_FLAGS:-} >"$work/postgraphile.log" 2>&1 &
pg=$!
trap 'kill $ours $pg 2>/dev/null; wait 2>/dev/null' EXIT
for url in $ours_addr/healthz; do
	for _ in $(seq 1 120); do curl -sf "$url" >/dev/null && break; sleep 0.5; done
done
for _ in $(seq 1 120); do
	curl -sf -H 'Content-Type: application/json' -d '{"query":"{__typename}"}' "http://$pg_addr/graphql" >/dev/null && break
	sleep 0.5
done

if [ "${CHECK:-1}" != 0 ]; then
	SUYUAN_PGBENCH_DB=$db SUYUAN_PGBENCH_DEPTH=$depth SUYUAN_PGBENCH_BATCH=${BATCH:-} SUYUAN_PGBENCH_OURS=$ours_addr SUYUAN_PGBENCH_PG=$pg_addr \
		go test -count=1 -v -run TestSameRows ./tools/bench/postgraphile | grep -E 'check_test|^(--- )?(PASS|FAIL|ok)'
fi

# --- CPU counters ----------------------------------------------------------
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
postmaster=$(head -1 "$(psql -d postgres -Atc 'SHOW data_directory')/postmaster.pid")
# backends: "pid ticks" of every backend of the copy's database, and
# "reaped ticks" for the postmaster's children that have exited.
backends() {
	local p
	for p in $(psql -d postgres -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '$pgdb'"); do
		[ -r "/proc/$p/stat" ] && echo "$p $(cpu "$p")"
	done
	echo "reaped $(awk '{print $16 + $17}' "/proc/$postmaster/stat")"
}
# backend_ticks BEFORE AFTER: the ticks the database's backends used
# between the two samples.
backend_ticks() {
	awk 'FNR == NR { b[$1] = $2; next } { a[$1] = $2 }
		END {
			t = a["reaped"] - b["reaped"]
			for (p in a) if (p != "reaped") t += a[p] - ((p in b) ? b[p] : 0)
			for (p in b) if (p != "reaped" && !(p in a)) t -= b[p]   # counted in reaped, whole
			print t
		}' "$1" "$2"
}

scenario_of() { # SERVER QUESTION
	case $1/$2 in
	ours/trace) echo trace ;; ours/downstream) echo downstream ;;
	pg/trace) echo pg-trace ;; pg/downstream) echo pg-downstream ;;
	esac
}
workers_of() { if [ "$1" = trace ]; then echo "$workers"; else echo "$down_workers"; fi; }

# one SERVER QUESTION SECONDS: one attack; prints "requests rps p99_ms
# cpu_ms_per_request server_ms database_ms load".
one() {
	local addr=$ours_addr pid=$ours row before after t dbt=0 login=(-phone 13800000009)
	[ "$1" = pg ] && addr=$pg_addr pid=$pg login=()
	[ "$2" = trace ] && login=() # as a consumer, without logging in
	before=$(cpu "$pid")
	[ "$1" = pg ] && backends >"$work/before"
	row=$("$bin/loadtest" -url "http://$addr" -db "$db" "${login[@]}" -scenario "$(scenario_of "$1" "$2")" \
		-duration "${3}s" -workers "$(workers_of "$2")" -seed 1 -sample 10000 -depth "$depth" ${BATCH:+-batch "$BATCH"} | grep '^| ')
	after=$(cpu "$pid")
	if [ "$1" = pg ]; then
		backends >"$work/after"
		dbt=$(backend_ticks "$work/before" "$work/after")
	fi
	t=$((after - before))
	echo "$row" | awk -F'|' -v t="$t" -v d="$dbt" -v hz="$hz" -v la="$(cut -d' ' -f1 /proc/loadavg)" '{
		n = $3 + 0; gsub(/ ms/, "", $7); gsub(/ /, "", $9)
		if ($9 != "100.00%") printf "warning: success %s\n", $9 > "/dev/stderr"
		printf "%d %.1f %.2f %.3f %.3f %.3f %s\n", n, $4, $7, (t + d) * 1000 / hz / n, t * 1000 / hz / n, d * 1000 / hz / n, la }'
}

echo
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL $(psql -d postgres -Atc 'SHOW server_version'), jit $(psql -d "$pgdb" -Atc 'SHOW jit'); PostGraphile $postgraphile_version on Node.js $(node --version); $(pgloader --version 2>&1 | sed -n 1p)"
echo "$rounds rounds of ${secs}s; trace $workers workers, downstream $down_workers workers to $depth levels of batch ${BATCH:-the widest}"
for q in $scenarios; do
	# Warm both (the page cache, the statement caches, Node's compiler:
	# PostGraphile's CPU per request keeps falling for its first 30 s or
	# so of load) before measuring.
	one ours "$q" "${WARM:-30}" >/dev/null
	one pg "$q" "${WARM:-30}" >/dev/null
	echo
	echo "| $q | round | server | requests | req/s | p99 ms | CPU ms/request | of it the server process | of it PostgreSQL | load average |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	: >"$work/$q.txt"
	for r in $(seq 1 "$rounds"); do
		prof=
		if [ -n "${PROFILE:-}" ] && [ "$r" = "$rounds" ]; then
			mkdir -p "$PROFILE"
			curl -s -o "$PROFILE/$q-cpu.pprof" "http://$admin_addr/debug/pprof/profile?seconds=$((secs - 2))" &
			prof=$!
		fi
		o=$(one ours "$q" "$secs")
		[ -n "$prof" ] && wait $prof
		p=$(one pg "$q" "$secs")
		echo "ours $o" >>"$work/$q.txt"
		echo "pg $p" >>"$work/$q.txt"
		set -- $o; echo "| | $r | ours | $1 | $2 | $3 | $4 | $5 | — | $7 |"
		set -- $p; echo "| | $r | PostGraphile | $1 | $2 | $3 | $4 | $5 | $6 | $7 |"
	done
	awk -v q="$q" '
		function median(a, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 == "ours" { no++; ot[no] = $3; op[no] = $4; oc[no] = $5 }
		$1 == "pg" { np++; pt[np] = $3; pp[np] = $4; pc[np] = $5; ps[np] = $6; pd[np] = $7 }
		END {
			printf "%s, ours / PostGraphile (medians): throughput %.2f× (%.1f against %.1f req/s), p99 %.2f× (%.1f against %.1f ms), CPU per request %.2f× (%.2f ms against %.2f ms: node %.2f, PostgreSQL %.2f)\n",
				q, median(ot, no) / median(pt, np), median(ot, no), median(pt, np),
				median(op, no) / median(pp, np), median(op, no), median(pp, np),
				median(oc, no) / median(pc, np), median(oc, no), median(pc, np), median(ps, np), median(pd, np)
		}' "$work/$q.txt"
done
