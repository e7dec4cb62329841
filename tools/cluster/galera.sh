#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for tests and for trying
# Suyuan on Galera on one machine: each node its own data directory, socket
# and ports under DIR, Debian's galera-4 as the provider, state transfers
# by rsync. docs/OPERATIONS.md ("Galera") tells how Suyuan runs on it.
#
#   galera.sh up [DIR]      start the nodes that are not running (the first
#                           of a new or stopped cluster bootstraps it), wait
#                           until all three are in it and ready, print DSNs
#   galera.sh down [DIR]    shut the nodes down cleanly, the first last
#   galera.sh status [DIR]  each node's state
#
# DIR defaults to /tmp/suyuan-galera. Ports (GALERA_PORT_BASE, default
# 3417): client BASE, BASE+1, BASE+2; group communication BASE+1000..;
# incremental state transfer BASE+1100..; full state transfer BASE+1200..
# Everything listens on 127.0.0.1 only; root has an empty password.
# Runs as root, without systemd.
set -euo pipefail

cmd=${1:-}
DIR=${2:-/tmp/suyuan-galera}
BASE=${GALERA_PORT_BASE:-3417}
PROVIDER=/usr/lib/galera/libgalera_smm.so
NODES=(1 2 3)
# How long a node may take to start and, for a joiner, to receive the
# whole state; an rsync of a small test cluster takes seconds.
START_TIMEOUT=${GALERA_START_TIMEOUT:-180}
STOP_TIMEOUT=${GALERA_STOP_TIMEOUT:-120}

log() { echo "galera: $*" >&2; }
die() {
  log "$*"
  exit 1
}

port() { echo $((BASE + $1 - 1)); }
gport() { echo $((BASE + 1000 + $1 - 1)); }
istport() { echo $((BASE + 1100 + $1 - 1)); }
sstport() { echo $((BASE + 1200 + $1 - 1)); }
ndir() { echo "$DIR/node$1"; }

client() { # node, then mariadb client arguments
  local n=$1
  shift
  mariadb --protocol=tcp -h127.0.0.1 -P"$(port "$n")" -uroot --connect-timeout=2 "$@"
}

# status_of node variable: the value of a status variable, empty when the
# node does not answer.
status_of() {
  client "$1" -N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}' || true
}

pid_of() {
  local f
  f="$(ndir "$1")/mariadbd.pid"
  [ -s "$f" ] || return 1
  local p
  p=$(cat "$f")
  kill -0 "$p" 2>/dev/null || return 1
  echo "$p"
}

running() { pid_of "$1" >/dev/null; }

ready() {
  [ "$(status_of "$1" wsrep_ready)" = ON ] && [ "$(status_of "$1" wsrep_cluster_status)" = Primary ]
}

# The server runs as mysql when Debian's package made that user: mariadbd
# refuses root unless told, and the data directory should not be root's.
run_user() {
  if id mysql >/dev/null 2>&1; then echo mysql; else echo root; fi
}

need_packages() {
  local missing=()
  command -v mariadbd >/dev/null || missing+=(mariadb-server)
  command -v mariadb >/dev/null || missing+=(mariadb-client)
  [ -f "$PROVIDER" ] || missing+=(galera-4)
  command -v rsync >/dev/null || missing+=(rsync)
  # wsrep_sst_rsync checks its ports with ss (iproute2) or lsof.
  command -v ss >/dev/null || command -v lsof >/dev/null || missing+=(iproute2)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

write_config() {
  local n=$1 d addrs
  d=$(ndir "$n")
  addrs="127.0.0.1:$(gport 1),127.0.0.1:$(gport 2),127.0.0.1:$(gport 3)"
  cat >"$d/my.cnf" <<EOF
# Written by tools/cluster/galera.sh; rewritten at every "up".
[mariadbd]
user                     = $(run_user)
datadir                  = $d/data
socket                   = $d/mariadbd.sock
pid-file                 = $d/mariadbd.pid
log-error                = $d/error.log
port                     = $(port "$n")
bind-address             = 127.0.0.1
skip-name-resolve
# Galera replicates InnoDB row events only; interleaved auto-increment
# locking lets the appliers insert in parallel.
default_storage_engine   = InnoDB
binlog_format            = ROW
innodb_autoinc_lock_mode = 2
innodb_flush_log_at_trx_commit = 2
# Three servers on a shared test machine: small caches.
innodb_buffer_pool_size  = 64M
innodb_log_file_size     = 48M
performance_schema       = OFF
max_connections          = 400
character_set_server     = utf8mb4
collation_server         = utf8mb4_bin

wsrep_on                 = ON
wsrep_provider           = $PROVIDER
wsrep_cluster_name       = suyuan-$BASE
wsrep_cluster_address    = gcomm://$addrs
wsrep_node_name          = node$n
wsrep_node_address       = 127.0.0.1:$(gport "$n")
wsrep_provider_options   = "gmcast.listen_addr=tcp://127.0.0.1:$(gport "$n");ist.recv_addr=127.0.0.1:$(istport "$n");gcache.size=64M"
wsrep_sst_method         = rsync
wsrep_sst_receive_address = 127.0.0.1:$(sstport "$n")
wsrep_slave_threads      = 2
# Each node hands out its own ids (the n-th node every third from n),
# Galera's default: two nodes inserting into one table at once never take
# the same id. With one sequence for all, an INSERT … ON DUPLICATE KEY
# UPDATE that met an id another node had just used would update that
# node's row. Suyuan reads the step for its many-row inserts
# (store.Open); docs/OPERATIONS.md, "Galera".
wsrep_auto_increment_control = ON
EOF
}

init_node() {
  local n=$1 d
  d=$(ndir "$n")
  mkdir -p "$d"
  write_config "$n"
  if [ ! -d "$d/data/mysql" ]; then
    log "node$n: creating its data directory"
    mkdir -p "$d/data"
    # normal: root@localhost and root@127.0.0.1 with an empty password,
    # reachable over TCP (a joiner's own accounts are replaced by its
    # donor's in the state transfer: the same).
    mariadb-install-db --defaults-file="$d/my.cnf" --datadir="$d/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$d/install.log" 2>&1 ||
      {
        cat "$d/install.log" >&2
        die "node$n: mariadb-install-db failed"
      }
  fi
  chown -R "$(run_user)" "$d"
}

start_node() { # node, extra mariadbd arguments
  local n=$1 d
  shift
  d=$(ndir "$n")
  log "node$n: starting on 127.0.0.1:$(port "$n") $*"
  # setsid: the server outlives this script and its caller's terminal.
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 &
}

wait_ready() {
  local n=$1 deadline=$((SECONDS + START_TIMEOUT))
  until ready "$n"; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$(ndir "$n")/error.log" >&2 || true
      die "node$n: not ready after ${START_TIMEOUT}s"
    fi
    # The process may not have written its pid yet; give up only once it
    # has and is gone.
    if [ -s "$(ndir "$n")/mariadbd.pid" ] && ! running "$n" && ! pgrep -f "defaults-file=$(ndir "$n")/my.cnf" >/dev/null; then
      tail -n 30 "$(ndir "$n")/error.log" >&2 || true
      die "node$n: the server stopped while starting"
    fi
    sleep 0.5
  done
  log "node$n: ready ($(status_of "$n" wsrep_local_state_comment), cluster size $(status_of "$n" wsrep_cluster_size))"
}

# bootstrap_node: which node starts a cluster none of whose nodes runs.
# Galera marks the node that stopped last safe_to_bootstrap; when none is
# (all died together), the one with the highest committed seqno is, after
# --wsrep-recover finds it.
bootstrap_node() {
  local n best=1 bestseq=-2 f seq
  for n in "${NODES[@]}"; do
    f="$(ndir "$n")/data/grastate.dat"
    [ -f "$f" ] || continue
    if grep -q '^safe_to_bootstrap: *1' "$f"; then
      echo "$n"
      return
    fi
  done
  for n in "${NODES[@]}"; do
    f="$(ndir "$n")/data/grastate.dat"
    [ -f "$f" ] || continue
    seq=$(awk '/^seqno:/{print $2}' "$f")
    if [ "$seq" = -1 ]; then
      seq=$(/usr/sbin/mariadbd --defaults-file="$(ndir "$n")/my.cnf" --wsrep-recover 2>&1 |
        sed -n 's/.*Recovered position: .*:\(-\{0,1\}[0-9]*\).*/\1/p' | tail -n1)
      seq=${seq:--1}
    fi
    if [ "$seq" -gt "$bestseq" ]; then
      best=$n
      bestseq=$seq
    fi
  done
  f="$(ndir "$best")/data/grastate.dat"
  if [ -f "$f" ]; then
    log "node$best: no node stopped last cleanly; bootstrapping from node$best (seqno $bestseq)"
    sed -i 's/^safe_to_bootstrap: *0/safe_to_bootstrap: 1/' "$f"
  fi
  echo "$best"
}

up() {
  [ "$(id -u)" = 0 ] || die "run as root"
  need_packages
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  local n first any=0
  for n in "${NODES[@]}"; do
    init_node "$n"
    if running "$n"; then any=1; fi
  done
  if [ $any = 0 ]; then
    first=$(bootstrap_node)
    start_node "$first" --wsrep-new-cluster
    wait_ready "$first"
  fi
  # Joiners one at a time: a donor serves one state transfer at once.
  for n in "${NODES[@]}"; do
    if ! running "$n"; then
      start_node "$n"
      wait_ready "$n"
    fi
  done
  local deadline=$((SECONDS + START_TIMEOUT))
  for n in "${NODES[@]}"; do
    until [ "$(status_of "$n" wsrep_cluster_size)" = 3 ] && ready "$n"; do
      [ $SECONDS -lt $deadline ] || die "node$n: cluster size $(status_of "$n" wsrep_cluster_size), not 3"
      sleep 0.5
    done
  done
  # The database the tests' DSNs name; each test makes its own beside it.
  client 1 -e "CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  log "cluster of 3 ready under $DIR"
  for n in "${NODES[@]}"; do
    echo "root@tcp(127.0.0.1:$(port "$n"))/"
  done
}

stop_node() {
  local n=$1 p deadline
  p=$(pid_of "$n") || return 0
  log "node$n: shutting down (pid $p)"
  client "$n" -e "SHUTDOWN" 2>/dev/null ||
    mariadb-admin --socket="$(ndir "$n")/mariadbd.sock" -uroot shutdown 2>/dev/null ||
    kill -TERM "$p" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$p" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "node$n: still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$p" 2>/dev/null || true
    fi
    sleep 0.2
  done
}

down() {
  # The first node last: it stops with safe_to_bootstrap set, and the
  # next "up" bootstraps from it.
  local n
  for n in 3 2 1; do
    stop_node "$n"
  done
  log "stopped"
}

status() {
  local n state
  for n in "${NODES[@]}"; do
    if running "$n"; then
      state="running pid $(pid_of "$n"), $(status_of "$n" wsrep_local_state_comment), cluster size $(status_of "$n" wsrep_cluster_size), ready $(status_of "$n" wsrep_ready)"
    else
      state="stopped"
    fi
    echo "node$n 127.0.0.1:$(port "$n"): $state"
  done
}

case "$cmd" in
up) up ;;
down) down ;;
status) status ;;
*)
  echo "usage: $0 up|down|status [DIR]" >&2
  exit 2
  ;;
esac
