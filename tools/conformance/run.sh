#!/usr/bin/env bash
# GraphQL-over-HTTP conformance audit: builds suyuan, serves it in
# development mode over a fresh SQLite database (demo data included) on a
# loopback port, and runs the graphql-http package's server audits against
# /graphql (tools/conformance/audit.mjs). Exits with the audit's status:
# 0 when no audit reports an error (warnings are printed, not fatal).
#
#   tools/conformance/run.sh            # from anywhere in the repository
#   CONFORMANCE_PORT=18100 tools/conformance/run.sh
#
# Needs Go, Node.js (>= 18) and npm; `npm ci` runs only when
# tools/conformance/node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tools/conformance

port="${CONFORMANCE_PORT:-18099}"
addr="127.0.0.1:$port"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/suyuan-conformance.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Dependencies: npm ci from the committed lock file, skipped when the
# installed tree was made from the same lock file.
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
stamp="$here/node_modules/.suyuan-lock.sha256"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "conformance: npm ci"
  npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" >"$stamp"
fi

echo "conformance: building suyuan"
go build -o "$tmp/suyuan" ./cmd/suyuan

if port_in_use "$port"; then
  echo "conformance: $addr is already in use; set CONFORMANCE_PORT to a free port" >&2
  exit 1
fi

echo "conformance: serving on $addr (log: server.log, printed on failure)"
"$tmp/suyuan" serve --mode development --db "$tmp/c.db" --addr "$addr" --admin-addr off >"$tmp/server.log" 2>&1 &
pid=$!

ready=""
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    break
  fi
  if curl -fsS -o /dev/null --max-time 2 "http://$addr/healthz" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "conformance: the server did not become healthy at http://$addr/healthz" >&2
  tail -n 50 "$tmp/server.log" >&2 || true
  exit 1
fi

status=0
node "$here/audit.mjs" "http://$addr/graphql" || status=$?
if [ "$status" -ne 0 ]; then
  echo "conformance: server log (last 30 lines):" >&2
  tail -n 30 "$tmp/server.log" >&2 || true
fi
exit "$status"
