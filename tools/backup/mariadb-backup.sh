#!/usr/bin/env bash
# Backs up Suyuan's MariaDB with Debian's mariadb-backup, the way the
# platform it replaces did: a full backup weekly, an incremental one daily
# on top of the last backup, and the binary logs in between for
# point-in-time recovery. Restore with mariadb-restore.sh; prove it with
# tools/backup/drill. docs/OPERATIONS.md tells the whole procedure.
#
#   mariadb-backup.sh full         a new chain: full backup
#   mariadb-backup.sh incremental  an incremental on the chain's last backup
#   mariadb-backup.sh binlogs      copy the closed binary logs
#   mariadb-backup.sh prune        remove chains older than the retention
#
# Settings (environment; the systemd units set them):
#   BACKUP_DIR      where chains live (default /var/backups/suyuan)
#   RETENTION_DAYS  keep chains whose full backup is younger (default 35:
#                   five weekly chains, each with its dailies)
#   MYSQL_SOCKET    the server's socket (default /run/mysqld/mysqld.sock)
#   MYSQL_DATADIR   the server's data directory, for the binary logs
#                   (default /var/lib/mysql)
#   BINLOG_BASENAME the binary logs' base name (default mysql-bin)
#   BACKUP_USER     the account mariadb-backup connects as (default root,
#                   by unix_socket authentication: no password on disk)
#
# The server needs log_bin on (log_bin = mysql-bin, binlog_format = ROW,
# server_id = 1 in /etc/mysql/mariadb.conf.d/) for point-in-time recovery,
# and expire_logs_days longer than a chain, so that no log is purged
# before it is copied.
set -euo pipefail

BACKUP_DIR=${BACKUP_DIR:-/var/backups/suyuan}
RETENTION_DAYS=${RETENTION_DAYS:-35}
MYSQL_SOCKET=${MYSQL_SOCKET:-/run/mysqld/mysqld.sock}
MYSQL_DATADIR=${MYSQL_DATADIR:-/var/lib/mysql}
BINLOG_BASENAME=${BINLOG_BASENAME:-mysql-bin}
BACKUP_USER=${BACKUP_USER:-root}

stamp() { date -u +%Y%m%dT%H%M%SZ; }
log() { echo "suyuan-backup: $*" >&2; }

# The newest chain, and the newest backup in it.
# A .partial directory is a backup that failed half-way: never a base.
chains() { ls -1d "$BACKUP_DIR"/chain-* 2>/dev/null | sort || true; }
backups() { ls -1d "$1"/[0-9][0-9]-* 2>/dev/null | grep -v '\.partial$' | sort || true; }
last_chain() { chains | tail -n 1; }
last_backup() { backups "$1" | tail -n 1; }

full() {
  local chain="$BACKUP_DIR/chain-$(stamp)"
  mkdir -p "$chain"
  log "full backup into $chain/00-full"
  mariadb-backup --backup --user="$BACKUP_USER" --socket="$MYSQL_SOCKET" \
    --target-dir="$chain/00-full.partial"
  mv "$chain/00-full.partial" "$chain/00-full"
  binlogs
}

incremental() {
  local chain base n
  chain=$(last_chain)
  if [ -z "$chain" ]; then
    log "no chain yet: taking a full backup instead"
    full
    return
  fi
  base=$(last_backup "$chain")
  n=$(backups "$chain" | wc -l)
  local target
  target="$chain/$(printf %02d "$n")-incr-$(stamp)"
  log "incremental backup into $target (on $base)"
  mariadb-backup --backup --user="$BACKUP_USER" --socket="$MYSQL_SOCKET" \
    --target-dir="$target.partial" --incremental-basedir="$base"
  mv "$target.partial" "$target"
  binlogs
}

# Copies the binary logs the server has closed (all but the one it writes)
# into the archive; a log already copied is left alone.
binlogs() {
  mkdir -p "$BACKUP_DIR/binlogs"
  mariadb --user="$BACKUP_USER" --socket="$MYSQL_SOCKET" -e 'FLUSH BINARY LOGS'
  local current
  current=$(mariadb --user="$BACKUP_USER" --socket="$MYSQL_SOCKET" -N -e 'SHOW MASTER STATUS' | cut -f1)
  for f in "$MYSQL_DATADIR/$BINLOG_BASENAME".[0-9]*; do
    [ -e "$f" ] || continue
    local name
    name=$(basename "$f")
    [ "$name" = "$current" ] && continue
    [ -e "$BACKUP_DIR/binlogs/$name" ] && continue
    cp --preserve=timestamps "$f" "$BACKUP_DIR/binlogs/$name.partial"
    mv "$BACKUP_DIR/binlogs/$name.partial" "$BACKUP_DIR/binlogs/$name"
  done
}

# Removes whole chains whose full backup is older than the retention (the
# newest chain always stays), then the binary logs older than the oldest
# chain kept: a chain is useless without its full backup, and a log is
# useless without a backup before it.
prune() {
  local newest cutoff oldest_kept=""
  newest=$(last_chain)
  cutoff=$(date -u -d "-$RETENTION_DAYS days" +%Y%m%dT%H%M%SZ)
  for chain in $(chains); do
    local at=${chain##*/chain-}
    if [ "$chain" != "$newest" ] && [[ "$at" < "$cutoff" ]]; then
      log "removing $chain (older than $RETENTION_DAYS days)"
      rm -rf "$chain"
    elif [ -z "$oldest_kept" ]; then
      oldest_kept=$chain
    fi
  done
  [ -n "$oldest_kept" ] || return 0
  # The first log the oldest kept backup needs, from its position file.
  local first
  first=$(cut -f1 "$oldest_kept/00-full/xtrabackup_binlog_info" 2>/dev/null || true)
  [ -n "$first" ] || return 0
  for f in "$BACKUP_DIR"/binlogs/*; do
    [ -e "$f" ] || continue
    if [[ "$(basename "$f")" < "$first" ]]; then
      log "removing $(basename "$f") (before the oldest chain)"
      rm -f "$f"
    fi
  done
}

case "${1:-}" in
  full) full ;;
  incremental) incremental ;;
  binlogs) binlogs ;;
  prune) prune ;;
  *) echo "usage: $0 full|incremental|binlogs|prune" >&2; exit 2 ;;
esac
