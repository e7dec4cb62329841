# shellcheck shell=bash
# Shared by tools/cluster/up, down, node, restart and status: where things
# live, and how one piece of the loopback cluster is started, stopped and
# waited for. Every wait polls with a deadline; nothing sleeps blindly.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${SUYUAN_CLUSTER_DIR:-/tmp/suyuan-cluster}
BIN=$DIR/suyuan

# The cluster's ports, all on 127.0.0.1.
PRIMARY_PORT=3407
REPLICA_PORTS=(3408 3409)
SERVE_PORTS=(18181 18182 18183)
ADMIN_PORTS=(19181 19182 19183)
HAPROXY_PORT=18180
HAPROXY_STATS_PORT=18189
# Redis database of the cluster's shared rate limits, apart from the
# tests' database 0.
REDIS_URL=${SUYUAN_CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/3}
DB_NAME=suyuan
REPL_USER=repl
REPL_PASSWORD=suyuan-cluster-repl

log() { printf '%s cluster: %s\n' "$(date +%T)" "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# wait_until SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds or
# SECONDS have passed.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "gave up waiting ${seconds}s for $what"
      return 1
    fi
    sleep 0.2
  done
}

# alive PIDFILE: whether the process named in PIDFILE runs.
alive() {
  [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

# stop_pid PIDFILE SIGNAL SECONDS: send SIGNAL, wait for the process to end,
# SIGKILL it after SECONDS.
stop_pid() {
  local pidfile=$1 sig=$2 seconds=$3 pid
  alive "$pidfile" || {
    rm -f "$pidfile"
    return 0
  }
  pid=$(cat "$pidfile")
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_until "$seconds" "process $pid to end" bash -c "! kill -0 $pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 "process $pid to die" bash -c "! kill -0 $pid" || true
  fi
  rm -f "$pidfile"
}

need_packages() {
  local missing=()
  command -v haproxy >/dev/null || missing+=(haproxy)
  [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
  command -v mariadb >/dev/null || missing+=(mariadb-client)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ---------------------------------------------------------------- MariaDB

# Names of the MariaDB instances: primary, replica-1, replica-2.
mariadb_port() {
  case $1 in
  primary) echo "$PRIMARY_PORT" ;;
  replica-1) echo "${REPLICA_PORTS[0]}" ;;
  replica-2) echo "${REPLICA_PORTS[1]}" ;;
  *) die "no MariaDB instance $1" ;;
  esac
}

sql() { # sql NAME STATEMENTS: run as root over TCP
  mariadb --protocol=tcp -h127.0.0.1 -P"$(mariadb_port "$1")" -uroot -N -B -e "$2"
}

mariadb_ping() {
  mariadb-admin --protocol=tcp -h127.0.0.1 -P"$(mariadb_port "$1")" -uroot ping
}

mariadb_start() {
  local name=$1 port dir id
  port=$(mariadb_port "$name")
  dir=$DIR/$name
  if alive "$dir/mariadbd.pid"; then
    return 0
  fi
  mkdir -p "$dir"
  case $name in primary) id=1 ;; replica-1) id=2 ;; replica-2) id=3 ;; esac
  # Row-based binary logs with GTIDs on every instance, so that a replica
  # could be promoted; replicas are read-only to all but root.
  cat >"$dir/my.cnf" <<EOF
[mariadbd]
datadir=$dir/data
port=$port
bind-address=127.0.0.1
socket=$dir/mariadbd.sock
pid-file=$dir/mariadbd.pid
log-error=$dir/mariadbd.err
server-id=$id
log-bin=$dir/data/binlog
binlog-format=ROW
log-slave-updates=ON
gtid-strict-mode=ON
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_bin
innodb-buffer-pool-size=128M
innodb-log-file-size=48M
max-connections=300
$([[ $name == primary ]] || echo "read-only=ON")
EOF
  if [[ ! -d $dir/data/mysql ]]; then
    log "$name: creating its data directory"
    mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=normal \
      --skip-test-db --user="$(id -un)" >"$dir/install.log" 2>&1 ||
      die "$name: mariadb-install-db failed; see $dir/install.log"
  fi
  log "$name: starting on 127.0.0.1:$port"
  # mariadbd writes its own pid file; setsid keeps it out of the caller's
  # process group, so that ^C on up does not stop it.
  setsid /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" --user="$(id -un)" </dev/null >>"$dir/mariadbd.out" 2>&1 &
  wait_until 60 "$name to answer" mariadb_ping "$name" || die "$name did not start; see $dir/mariadbd.err"
}

mariadb_stop() { # mariadb_stop NAME [SIGNAL]
  stop_pid "$DIR/$1/mariadbd.pid" "${2:-TERM}" 60
}

# primary_setup creates the database and the replication user, once.
primary_setup() {
  sql primary "CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    CREATE USER IF NOT EXISTS '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
    GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'127.0.0.1';"
}

# replica_setup points a replica at the primary by GTID, once: a fresh
# replica starts from the primary's first binary log, which holds
# everything since the primary's data directory was made.
replica_setup() {
  local name=$1
  if [[ -z $(sql "$name" "SHOW SLAVE STATUS") ]]; then
    log "$name: replicating from the primary"
    sql "$name" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT,
      MASTER_USER='$REPL_USER', MASTER_PASSWORD='$REPL_PASSWORD', MASTER_USE_GTID=slave_pos,
      MASTER_CONNECT_RETRY=1;"
  fi
  sql "$name" "START SLAVE" 2>/dev/null || true
}

# replica_caught_up NAME: the replica has the primary's last transaction.
replica_caught_up() {
  local want have
  want=$(sql primary "SELECT @@gtid_binlog_pos")
  have=$(sql "$1" "SELECT @@gtid_slave_pos")
  [[ $want == "$have" ]]
}

# --------------------------------------------------------------- servers

serve_index() {
  case $1 in
  serve-1) echo 0 ;; serve-2) echo 1 ;; serve-3) echo 2 ;;
  *) die "no server $1" ;;
  esac
}

ready() { curl -fsS -m 2 "http://127.0.0.1:$1/readyz"; }

# serve_args NAME: the server's command line. On SIGTERM it drains for
# 1.5 s, long enough for HAProxy's two failed checks 250 ms apart to take
# it out before its port closes. Development mode: its demo
# logins are the ones the checks and the fault tool use, it listens on
# loopback only, and every server shares its signing secret, so that a
# token from one server is good on the others.
serve_args() {
  local i
  i=$(serve_index "$1")
  local args=(serve --mode development
    --addr "127.0.0.1:${SERVE_PORTS[$i]}"
    --admin-addr "127.0.0.1:${ADMIN_PORTS[$i]}"
    --db "$(cat "$DIR/$1.db")"
    --redis-url "$REDIS_URL"
    --trusted-proxies 127.0.0.1/32
    --drain 1500ms
    --public-url "http://127.0.0.1:$HAPROXY_PORT")
  if [[ -s $DIR/$1.read-db ]]; then
    args+=(--read-db "$(cat "$DIR/$1.read-db")")
  fi
  # Extra flags for every server, such as a drain period or rate limits.
  # shellcheck disable=SC2206
  args+=(${SUYUAN_CLUSTER_SERVE_FLAGS:-})
  printf '%s\n' "${args[@]}"
}

serve_start() {
  local name=$1 i port
  i=$(serve_index "$name")
  port=${SERVE_PORTS[$i]}
  if alive "$DIR/$name.pid"; then
    return 0
  fi
  local args
  mapfile -t args < <(serve_args "$name")
  log "$name: starting on 127.0.0.1:$port"
  SUYUAN_LOG_FORMAT=json setsid "$BIN" "${args[@]}" </dev/null >>"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  # The first server on an empty database loads the demo and screens it,
  # which takes a while on a shared machine.
  wait_until 300 "$name's /readyz" ready "$port" || die "$name is not ready; see $DIR/$name.log"
}

serve_stop() { # serve_stop NAME [SIGNAL]
  stop_pid "$DIR/$1.pid" "${2:-TERM}" 45
}

# ---------------------------------------------------------------- HAProxy

haproxy_config() {
  cat <<EOF
# Written by tools/cluster/up.
global
  maxconn 2000
  stats socket $DIR/haproxy.sock mode 600 level admin

defaults
  mode http
  option httplog
  log stdout format raw local0 info
  timeout connect 1s
  timeout client 60s
  timeout server 40s
  timeout queue 5s
  timeout http-request 10s
  timeout check 1s
  # A request whose server died before answering goes to another server.
  # HAProxy resends whatever the method, so a resend beyond a failed
  # connection (nothing reached the server) is only allowed for requests
  # the service answers once however often they come: reads, and
  # recordings carrying an Idempotency-Key. A 503 is not retried: the
  # service says UNAVAILABLE with Retry-After, and the client waits.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  # With no server ready (all fail /readyz while the database is away),
  # HAProxy answers itself: as the service would, UNAVAILABLE with
  # Retry-After.
  errorfile 503 $DIR/haproxy-503.http
  option forwardfor

frontend suyuan
  bind 127.0.0.1:$HAPROXY_PORT
  http-request disable-l7-retry if METH_POST !{ req.hdr(Idempotency-Key) -m found }
  default_backend servers

backend servers
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  # Checked every 250 ms: two failures take a server out, two successes
  # bring it back.
  default-server inter 250ms fastinter 250ms downinter 500ms fall 2 rise 2 maxconn 200
  server serve-1 127.0.0.1:${SERVE_PORTS[0]} check
  server serve-2 127.0.0.1:${SERVE_PORTS[1]} check
  server serve-3 127.0.0.1:${SERVE_PORTS[2]} check

listen stats
  no log
  bind 127.0.0.1:$HAPROXY_STATS_PORT
  stats enable
  stats uri /
  stats refresh 2s
EOF
}

# haproxy_503 is HAProxy's own 503, in the service's error format.
haproxy_503() {
  local body='{"errors":[{"message":"no server can answer now; try again after the time in Retry-After","extensions":{"code":"UNAVAILABLE","retryAfter":2}}]}'
  printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 2\r\nCache-Control: no-store\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#body}" "$body"
}

haproxy_start() {
  haproxy_503 >"$DIR/haproxy-503.http"
  haproxy_config >"$DIR/haproxy.cfg.new"
  haproxy -c -q -f "$DIR/haproxy.cfg.new" || die "haproxy refuses $DIR/haproxy.cfg.new"
  mv "$DIR/haproxy.cfg.new" "$DIR/haproxy.cfg"
  if alive "$DIR/haproxy.pid"; then
    # The master loads a changed configuration into new workers; the old
    # ones finish their connections.
    kill -USR2 "$(cat "$DIR/haproxy.pid")"
  else
    log "haproxy: starting on 127.0.0.1:$HAPROXY_PORT (stats on :$HAPROXY_STATS_PORT)"
    # Master-worker mode in the foreground of its own session: its pid
    # file names the master, and its workers log requests to its output.
    setsid haproxy -W -f "$DIR/haproxy.cfg" -p "$DIR/haproxy.pid" </dev/null >>"$DIR/haproxy.log" 2>&1 &
    wait_until 10 "haproxy to listen" curl -fsS -m 1 "http://127.0.0.1:$HAPROXY_STATS_PORT/;csv" ||
      die "haproxy did not start; see $DIR/haproxy.log"
  fi
}

# haproxy_up NAME: HAProxy counts the server as UP.
haproxy_up() {
  curl -fsS -m 2 "http://127.0.0.1:$HAPROXY_STATS_PORT/;csv" | awk -F, -v s="$1" '$1=="servers" && $2==s {print $18}' | grep -qx UP
}
