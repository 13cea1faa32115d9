#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster with pgvector, on loopback, for tests.
#
#   bash scripts/ci/start-postgres.sh          # port $PGPORT, default 55432
#   eval "$(bash scripts/ci/start-postgres.sh | grep '^export ')"
#
# Must run as root (apt, installing into the PG 15 dirs, running initdb as `postgres`).
# Idempotent:
#   - installs Debian's postgresql-15 only if it is missing (apt-get update first);
#   - builds pgvector 0.8.x from Debian trixie's SOURCE package only if vector.control /
#     vector.so are not already installed for PG 15 (takes ~5 s; nothing is built in the repo);
#   - a cluster this script started earlier on the same port is stopped and thrown away first.
# Writes a state file (see STATE_FILE below) that scripts/ci/stop-postgres.sh reads.
# Prints `export DATABASE_URL=...` (and PGPORT / GANTRY_PG_DIR) on stdout at the end.
#
# Env knobs: PGPORT (55432), GANTRY_CI_STATE_DIR (/tmp), GANTRY_CI_CACHE (/var/cache/gantry-ci).
set -euo pipefail

PG_MAJOR=15
PGPORT="${PGPORT:-55432}"
PGBIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PGBIN}/pg_config"
STATE_DIR="${GANTRY_CI_STATE_DIR:-/tmp}"
STATE_FILE="${STATE_DIR}/gantry-ci-postgres-${PGPORT}.env"
CACHE_DIR="${GANTRY_CI_CACHE:-/var/cache/gantry-ci}"
TRIXIE_SRC_FILE=/etc/apt/sources.list.d/gantry-trixie-src.sources
export DEBIAN_FRONTEND=noninteractive

log() { printf '[start-postgres] %s\n' "$*" >&2; }
die() { printf '[start-postgres] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
[[ "$PGPORT" =~ ^[0-9]+$ ]] || die "PGPORT must be a number, got '$PGPORT'"

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
}

# --- 1. PostgreSQL 15 server -------------------------------------------------------------
if [ -x "${PGBIN}/postgres" ] && [ -x "${PGBIN}/initdb" ] && [ -x "$PG_CONFIG" ] \
   && [ -e "/usr/lib/postgresql/${PG_MAJOR}/lib/pgxs/src/makefiles/pgxs.mk" ]; then
  log "postgresql-${PG_MAJOR} present ($(dpkg-query -W -f='${Version}' "postgresql-${PG_MAJOR}" 2>/dev/null || echo '?'))"
else
  apt_update_once
  log "installing postgresql-${PG_MAJOR} (+ postgresql-client-${PG_MAJOR})"
  apt-get install -y -qq --no-install-recommends "postgresql-${PG_MAJOR}" "postgresql-client-${PG_MAJOR}" >&2
  # The package starts a default 'main' cluster on 5432 via the init system where one runs;
  # we don't use it (our cluster lives in a temp dir on $PGPORT).
fi
id postgres >/dev/null 2>&1 || die "user 'postgres' missing after installing postgresql-${PG_MAJOR}"

# --- 2. pgvector, built from Debian trixie's source package --------------------------------
EXT_DIR="$("$PG_CONFIG" --sharedir)/extension"
PKGLIB_DIR="$("$PG_CONFIG" --pkglibdir)"
if [ -f "${EXT_DIR}/vector.control" ] && [ -f "${PKGLIB_DIR}/vector.so" ]; then
  log "pgvector already installed for PG ${PG_MAJOR} ($(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "${EXT_DIR}/vector.control")), skipping build"
else
  t0=$SECONDS
  # Build tools (present on this machine kind; installed only if missing).
  missing=()
  command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
  command -v make >/dev/null || missing+=(make)
  command -v gcc >/dev/null || missing+=(gcc libc6-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_update_once
    log "installing build tools: ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi

  # Source-only trixie line in its own file: deb-src never provides installable binaries,
  # so `apt-cache policy` candidates stay bookworm's.
  want_src=$'# Added by Gantry scripts/ci/start-postgres.sh: trixie SOURCE packages only (to build pgvector).\nTypes: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  if [ ! -f "$TRIXIE_SRC_FILE" ] || [ "$(cat "$TRIXIE_SRC_FILE")"$'\n' != "$want_src" ]; then
    log "writing $TRIXIE_SRC_FILE"
    printf '%s' "$want_src" > "$TRIXIE_SRC_FILE"
  fi
  # Full update: also makes sure bookworm lists know the installed server version's -dev package.
  apt_update_once

  # Sanity: the deb-src line must not have made any trixie binary a candidate.
  cand_origin="$(apt-cache policy "postgresql-${PG_MAJOR}" | sed -n '/Candidate:/,$p' | grep -c trixie || true)"
  [ "$cand_origin" = 0 ] || die "apt-cache policy shows trixie binaries for postgresql-${PG_MAJOR}; check /etc/apt/sources.list.d/"

  src_ver="$(apt-cache showsrc pgvector 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)"
  case "$src_ver" in
    0.8.*) log "pgvector source version $src_ver (trixie)";;
    "") die "apt-cache showsrc pgvector found nothing (trixie deb-src line not active?)";;
    *) die "expected pgvector 0.8.x source, found '$src_ver'";;
  esac

  mkdir -p "$CACHE_DIR"
  BUILD="$(mktemp -d "${CACHE_DIR}/pgvector-build.XXXXXX")"
  trap 'rm -rf "$BUILD"' EXIT
  chmod 755 "$BUILD"
  (
    cd "$BUILD"
    log "apt-get source pgvector=$src_ver"
    apt-get -qq -o APT::Sandbox::User=root source "pgvector=$src_ver" >&2

    # Server headers matching the installed server, if the archive still has that version.
    srv_ver="$(dpkg-query -W -f='${Version}' "postgresql-${PG_MAJOR}")"
    if apt-cache madison "postgresql-server-dev-${PG_MAJOR}" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$srv_ver"; then
      dev_spec="postgresql-server-dev-${PG_MAJOR}=${srv_ver}"
    else
      dev_spec="postgresql-server-dev-${PG_MAJOR}"
      log "server-dev ${srv_ver} not in the archive, using the candidate (same major, ABI-compatible)"
    fi
    log "apt-get download $dev_spec (unpacked with dpkg -x, not installed)"
    apt-get -qq -o APT::Sandbox::User=root download "$dev_spec" >&2
    dpkg -x postgresql-server-dev-${PG_MAJOR}_*.deb dev
    INC="$BUILD/dev/usr/include/postgresql/${PG_MAJOR}/server"
    [ -f "$INC/postgres.h" ] || die "server headers not found in $dev_spec"

    srcdir="$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
    [ -n "$srcdir" ] || die "pgvector source dir not found after apt-get source"
    cd "$srcdir"
    log "building pgvector ($srcdir) against PG ${PG_MAJOR}"
    make_args=(with_llvm=no OPTFLAGS= "PG_CONFIG=$PG_CONFIG" "includedir_server=$INC")
    make -s -j"$(nproc)" "${make_args[@]}" >"$BUILD/build.log" 2>&1 \
      || { tail -n 40 "$BUILD/build.log" >&2; die "pgvector build failed"; }
    # Installs vector.so into pkglibdir and control/sql into sharedir/extension
    # (its headers go into the throwaway $INC).
    make -s "${make_args[@]}" install >>"$BUILD/build.log" 2>&1 \
      || { tail -n 40 "$BUILD/build.log" >&2; die "pgvector install failed"; }
  )
  rm -rf "$BUILD"; trap - EXIT
  [ -f "${EXT_DIR}/vector.control" ] && [ -f "${PKGLIB_DIR}/vector.so" ] || die "pgvector install left no vector.control / vector.so"
  log "pgvector built and installed in $((SECONDS - t0)) s"
fi

# --- 3. Throwaway cluster -------------------------------------------------------------------
# A cluster this script started before on this port: stop it and start clean.
if [ -f "$STATE_FILE" ]; then
  log "found $STATE_FILE from an earlier start: stopping that cluster first"
  PGPORT="$PGPORT" GANTRY_CI_STATE_DIR="$STATE_DIR" bash "$(dirname "${BASH_SOURCE[0]}")/stop-postgres.sh" >&2 || true
fi
if "${PGBIN}/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -t 2 || (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; then
  die "something already listens on 127.0.0.1:$PGPORT (not started by this script); set PGPORT to a free port"
fi

BASE="$(mktemp -d "${TMPDIR:-/tmp}/gantry-ci-pg.XXXXXX")"
chmod 755 "$BASE"
install -d -o postgres -g postgres -m 700 "$BASE/data" "$BASE/run"
log "initdb in $BASE/data"
runuser -u postgres -- "$PGBIN/initdb" -D "$BASE/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$BASE/initdb.log" 2>&1 || { cat "$BASE/initdb.log" >&2; die "initdb failed"; }

# Write state before starting, so a half-started cluster can still be stopped.
{
  printf 'GANTRY_PG_DIR=%q\n' "$BASE"
  printf 'GANTRY_PG_DATA=%q\n' "$BASE/data"
  printf 'GANTRY_PG_PORT=%q\n' "$PGPORT"
  printf 'DATABASE_URL=%q\n' "postgres://postgres@127.0.0.1:${PGPORT}/postgres"
} > "$STATE_FILE"

log "starting postgres on 127.0.0.1:$PGPORT"
if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BASE/data" -l "$BASE/run/log" -w -t 30 start \
     -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $BASE/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2; then
  tail -n 30 "$BASE/run/log" >&2 || true
  die "pg_ctl start failed"
fi

# --- 4. Verify pgvector in a scratch database ------------------------------------------------
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c 'DROP DATABASE IF EXISTS gantry_ci_scratch' -c 'CREATE DATABASE gantry_ci_scratch' >&2
vec_ver="$("${PSQL[@]}" -d gantry_ci_scratch -At \
  -c 'CREATE EXTENSION vector' \
  -c "SELECT extversion || ' ' || ('[1,2,3]'::vector <-> '[1,2,5]'::vector) FROM pg_extension WHERE extname = 'vector'")" \
  || die "CREATE EXTENSION vector failed"
"${PSQL[@]}" -d postgres -c 'DROP DATABASE gantry_ci_scratch' >&2
[ "${vec_ver#* }" = 2 ] || die "pgvector sanity query returned '$vec_ver'"
log "ok: PostgreSQL $("${PSQL[@]}" -d postgres -At -c 'SHOW server_version') with pgvector ${vec_ver%% *} on 127.0.0.1:$PGPORT (data: $BASE/data, state: $STATE_FILE)"

echo "export DATABASE_URL=postgres://postgres@127.0.0.1:${PGPORT}/postgres"
echo "export PGPORT=${PGPORT}"
echo "export GANTRY_PG_DIR=${BASE}"
