#!/usr/bin/env bash
# Stop the throwaway cluster that scripts/ci/start-postgres.sh started on $PGPORT (default 55432)
# and delete its temp dir. Safe to run when nothing is running (exits 0).
# Env knobs: PGPORT, GANTRY_CI_STATE_DIR (must match the start), GANTRY_CI_KEEP_PG=1 keeps the dir.
set -euo pipefail

PGPORT="${PGPORT:-55432}"
PGBIN=/usr/lib/postgresql/15/bin
STATE_DIR="${GANTRY_CI_STATE_DIR:-/tmp}"
STATE_FILE="${STATE_DIR}/gantry-ci-postgres-${PGPORT}.env"

log() { printf '[stop-postgres] %s\n' "$*" >&2; }

if [ ! -f "$STATE_FILE" ]; then
  log "no $STATE_FILE: nothing to stop"
  exit 0
fi

GANTRY_PG_DIR=; GANTRY_PG_DATA=
# shellcheck disable=SC1090
. "$STATE_FILE"

case "$GANTRY_PG_DIR" in
  */gantry-ci-pg.*) ;;
  *) log "refusing: state file names an unexpected dir '$GANTRY_PG_DIR'"; exit 1;;
esac

if [ -f "$GANTRY_PG_DATA/postmaster.pid" ]; then
  log "stopping postgres (data: $GANTRY_PG_DATA)"
  if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$GANTRY_PG_DATA" -m fast -w -t 30 stop >&2; then
    pid="$(head -n1 "$GANTRY_PG_DATA/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
       && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "postgres.*$GANTRY_PG_DATA"; then
      log "fast stop failed, sending SIGQUIT to postmaster $pid"
      kill -QUIT "$pid" 2>/dev/null || true
      sleep 2
    fi
  fi
else
  log "cluster in $GANTRY_PG_DATA is not running"
fi

if [ "${GANTRY_CI_KEEP_PG:-0}" = 1 ]; then
  log "GANTRY_CI_KEEP_PG=1: keeping $GANTRY_PG_DIR"
else
  rm -rf -- "$GANTRY_PG_DIR"
fi
rm -f -- "$STATE_FILE"
log "stopped"
