#!/usr/bin/env bash
# Restores a chain written by mariadb-backup.sh into an empty data
# directory: the full backup, every incremental after it (or up to one
# named), and optionally the binary logs up to a point in time.
#
#   mariadb-restore.sh CHAIN DATADIR [--until-incremental NN]
#                      [--stop-datetime 'YYYY-MM-DD hh:mm:ss' | --stop-position FILE:POS]
#
# The server must be stopped, and DATADIR empty or absent: a restore never
# writes over a data directory. With a stop point, the script starts a
# temporary server on DATADIR (socket only, no network), replays the
# archived binary logs into it from the restored backup's position, and
# stops it. Then start MariaDB on DATADIR as usual (chown -R mysql:mysql
# DATADIR first). docs/OPERATIONS.md has the procedure and the drill.
set -euo pipefail

chain=${1:?usage: $0 CHAIN DATADIR [options]}
datadir=${2:?usage: $0 CHAIN DATADIR [options]}
shift 2
# mariadb-backup works inside its target directory: relative paths break.
chain=$(realpath "$chain")
datadir=$(realpath -m "$datadir")
until_n="" stop_datetime="" stop_position=""
while [ $# -gt 0 ]; do
  case "$1" in
    --until-incremental) until_n=$2; shift 2 ;;
    --stop-datetime) stop_datetime=$2; shift 2 ;;
    --stop-position) stop_position=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -e "$datadir" ] && [ -n "$(ls -A "$datadir")" ]; then
  echo "$datadir is not empty: a restore never writes over a data directory" >&2
  exit 1
fi
binlogs="$(dirname "$chain")/binlogs"
work=$(mktemp -d)
pid=""
# On any failure too: stop the temporary server, remove the work copy.
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null && wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
start=$(date +%s)

cp -a "$chain/00-full" "$work/prepared"
mariadb-backup --prepare --target-dir="$work/prepared"
last="$chain/00-full"
for inc in $(ls -1d "$chain"/[0-9][0-9]-incr-* 2>/dev/null | grep -v '\.partial$' | sort); do
  n=$(basename "$inc" | cut -c1-2)
  if [ -n "$until_n" ] && [ "$n" -gt "$until_n" ]; then break; fi
  echo "applying $inc" >&2
  # Preparing consumes an incremental's delta files: work on a copy, so
  # that the archive restores again.
  rm -rf "$work/inc"
  cp -a "$inc" "$work/inc"
  mariadb-backup --prepare --target-dir="$work/prepared" --incremental-dir="$work/inc"
  last=$inc
done
mariadb-backup --copy-back --target-dir="$work/prepared" --datadir="$datadir"

if [ -n "$stop_datetime" ] || [ -n "$stop_position" ]; then
  read -r from_file from_pos _ <"$last/xtrabackup_binlog_info"
  sock="$work/restore.sock"
  mariadbd --no-defaults --datadir="$datadir" --socket="$sock" --skip-networking \
    --user=root --pid-file="$work/restore.pid" --log-error="$work/restore.err" &
  pid=$!
  for _ in $(seq 1 120); do
    mariadb --socket="$sock" --user=root -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  files=()
  for f in $(ls -1 "$binlogs" | sort); do
    [[ "$f" < "$from_file" ]] && continue
    files+=("$binlogs/$f")
    if [ -n "$stop_position" ] && [ "$f" = "${stop_position%%:*}" ]; then break; fi
  done
  args=(--start-position="$from_pos")
  if [ -n "$stop_position" ]; then args+=(--stop-position="${stop_position##*:}"); fi
  if [ -n "$stop_datetime" ]; then args+=(--stop-datetime="$stop_datetime"); fi
  echo "replaying ${#files[@]} binary log(s) from $from_file:$from_pos" >&2
  mariadb-binlog "${args[@]}" "${files[@]}" | mariadb --binary-mode --socket="$sock" --user=root
  kill -TERM "$pid"
  wait "$pid" || true
  pid=""
fi
echo "restored $chain into $datadir in $(( $(date +%s) - start ))s" >&2
