#!/usr/bin/env bash
# A real NetBox (PyPI `netbox`) with PostgreSQL and Redis for tests and people.
#
#   netbox.sh build [VERSION]        build once per version into the cache (root; ~5 min cold)
#   netbox.sh start [VERSION]        start an instance from the migrated template; prints its JSON
#   netbox.sh stop STATE_FILE|all    stop one instance (or every one of this version) by PID
#
# NetBox 4.7 needs Python >= 3.12 and Debian 12 has 3.11, so NetBox runs in a Debian 13
# (trixie) root made by debootstrap, under chroot in a private mount namespace, listening on
# 127.0.0.1 only. Wheels are downloaded on the host with pip's configured sources and
# installed offline inside the root. Everything lives under $BM_CACHE_DIR/netbox/VERSION.
set -euo pipefail

NETBOX_VERSION_DEFAULT=4.7.3
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE_BASE="${BM_CACHE_DIR:-/var/cache/bm-provision}/netbox"
SUITE=trixie
ROOT_PACKAGES=python3,python3-venv,libpq5,postgresql,redis-server,ca-certificates

die() { echo "netbox.sh: $*" >&2; exit 1; }
log() { echo "netbox.sh: $*" >&2; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot); run as root"; }

paths() {
  VERSION="${1:-${NETBOX_VERSION:-$NETBOX_VERSION_DEFAULT}}"
  [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a NetBox version: $VERSION"
  CACHE="$CACHE_BASE/$VERSION"
  ROOT="$CACHE/root"
  PG_BIN=""
}

pg_bin() { ls -d "$ROOT"/usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 | sed "s|^$ROOT||"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs a command inside the root, in this shell's private mount namespace (see in_namespace).
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }
as_postgres() { chroot --userspec=postgres:postgres "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }

# The environment NetBox runs with (ports differ per instance).
netbox_env() {
  # shellcheck disable=SC1091
  . "$CACHE/secrets.env"
  echo NETBOX_ROOT=/opt/netbox PYTHONPATH=/opt/netbox/conf DJANGO_SETTINGS_MODULE=netbox.settings \
    BM_NETBOX_DB_PORT="$1" BM_NETBOX_REDIS_PORT="$2" BM_NETBOX_SECRET_KEY="$BM_NETBOX_SECRET_KEY" BM_NETBOX_PEPPER="$BM_NETBOX_PEPPER"
}
# The command line running a program as the netbox user inside the root (NETBOX_ARGV).
netbox_argv() {
  # shellcheck disable=SC2046  # netbox_env's words are NAME=VALUE pairs without spaces
  NETBOX_ARGV=(chroot --userspec=netbox:netbox "$ROOT" /usr/bin/env -i PATH=/opt/netbox/venv/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/opt/netbox
    $(netbox_env "$1" "$2"))
}
as_netbox() { netbox_argv "$1" "$2"; shift 2; "${NETBOX_ARGV[@]}" "$@"; }

# /proc and /dev for the root are mounted inside a private mount namespace (the __template
# and __start entries re-run this script under unshare): they vanish with the last process
# in it, so nothing is left mounted on the host.
mount_root() {
  mount -t proc proc "$ROOT/proc"
  mount --rbind /dev "$ROOT/dev"
  mount -t tmpfs -o size=64m tmpfs "$ROOT/tmp"
}

# Starts PostgreSQL on PGDATA (a path inside the root) and Redis; prints nothing.
# Daemons never inherit fd 9 (the build lock): one that did would hold the lock for its
# whole life, and every later build or start would wait on it forever.
start_services() {
  local pgdata=$1 db=$2 redis=$3 rundir=$4
  as_postgres "$PG_BIN/pg_ctl" -D "$pgdata" -l "$rundir/postgres.log" -w -t 60 \
    -o "-p $db -c listen_addresses=127.0.0.1 -c unix_socket_directories=$rundir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >/dev/null 9>&-
  in_root /usr/bin/redis-server --bind 127.0.0.1 --port "$redis" --save '' --appendonly no --daemonize yes \
    --pidfile "$rundir/redis.pid" --logfile "$rundir/redis.log" --dir "$rundir" 9>&-
}

# NetBox's RQ worker (`netbox rqworker`: the high, default and low queues, with the scheduler),
# which runs what event rules enqueue, webhooks among them: without it NetBox sends none.
# Started after the API answers, so it does not slow start-up (jobs enqueued before it is up
# wait in Redis). In its own session like the other daemons; setsid, chroot and env each exec
# the next (a background job is no process group leader, so setsid does not fork): $! is the
# worker itself, which stop_state kills by that PID.
start_rqworker() {
  local db=$1 redis=$2 rundir=$3
  netbox_argv "$db" "$redis"
  setsid "${NETBOX_ARGV[@]}" netbox rqworker </dev/null >"$ROOT$rundir/rqworker.log" 2>&1 9>&- &
  echo $! >"$ROOT$rundir/rqworker.pid"
}

stop_pid() {
  local pid=$1 signal=${2:-TERM}
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

build() {
  need_root
  paths "${1:-}"
  command -v debootstrap >/dev/null || die "debootstrap is missing (make deps installs it)"
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.build.lock"
  flock 9
  local started=$SECONDS
  if [ ! -e "$CACHE/.root-ok" ]; then
    log "debootstrap $SUITE into $ROOT (~1-2 min)"
    rm -rf "$ROOT" "$ROOT.partial"
    debootstrap --variant=minbase --include="$ROOT_PACKAGES" "$SUITE" "$ROOT.partial" >"$CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $CACHE/debootstrap.log"
    mv "$ROOT.partial" "$ROOT"
    touch "$CACHE/.root-ok"
  fi
  if [ ! -e "$CACHE/.wheels-ok" ]; then
    log "downloading NetBox $VERSION and its dependencies as wheels for Python 3.13"
    local wheels="$ROOT/opt/wheels"
    rm -rf "$wheels" && mkdir -p "$wheels"
    local pyver
    pyver=$(chroot "$ROOT" python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    local platform=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any)
    python3 -m pip download --quiet --no-deps --python-version "$pyver" --only-binary=:all: -d "$wheels" "netbox==$VERSION" \
      || die "pip could not download netbox==$VERSION"
    # NetBox pins psycopg[c] (compiled on install); the binary build is the same library, prebuilt.
    unzip -p "$wheels"/netbox-"$VERSION"-*.whl "netbox-$VERSION.dist-info/METADATA" | sed -n 's/^Requires-Dist: //p' \
      | grep -v 'extra ==' | sed 's/^psycopg\[c,pool\]/psycopg[binary,pool]/' >"$wheels/requirements.txt"
    python3 -m pip download --quiet --python-version "$pyver" --only-binary=:all: "${platform[@]}" -d "$wheels" -r "$wheels/requirements.txt" \
      || die "pip could not download NetBox's dependencies"
    touch "$CACHE/.wheels-ok"
  fi
  if [ ! -e "$CACHE/.venv-ok" ]; then
    log "installing NetBox $VERSION into /opt/netbox/venv inside the root (offline)"
    rm -rf "$ROOT/opt/netbox/venv"
    in_root python3 -m venv /opt/netbox/venv
    in_root /opt/netbox/venv/bin/pip install --quiet --no-index --find-links /opt/wheels --no-deps /opt/wheels/netbox-"$VERSION"-py3-none-any.whl
    in_root /opt/netbox/venv/bin/pip install --quiet --no-index --find-links /opt/wheels -r /opt/wheels/requirements.txt
    touch "$CACHE/.venv-ok"
  fi
  # Configuration is copied on every build and start, so an edit here needs no rebuild.
  install_conf
  # The template holds the users and permissions: a change to seed.py or permissions.json rebuilds it.
  local seed_hash
  seed_hash=$(cat "$HERE/seed.py" "$HERE/permissions.json" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$CACHE/.template-ok" 2>/dev/null)" != "$seed_hash" ]; then
    log "creating the migrated template database (NetBox migrations; a few minutes)"
    "$0" __template "$VERSION"
    echo "$seed_hash" >"$CACHE/.template-ok"
  fi
  local took=$((SECONDS - started))
  [ "$took" -eq 0 ] || log "NetBox $VERSION built in $took s under $CACHE"
  exec 9>&-  # release the build lock before anything long-lived starts
}

install_conf() {
  mkdir -p "$ROOT/opt/netbox/conf"
  install -m 0644 "$HERE/configuration.py" "$ROOT/opt/netbox/conf/configuration.py"
  install -m 0644 "$HERE/bm_validators.py" "$HERE/seed.py" "$HERE/permissions.json" "$ROOT/opt/netbox/conf/"
  : >"$ROOT/opt/netbox/conf/__init__.py"
  if [ ! -e "$CACHE/secrets.env" ]; then
    umask 077
    printf 'BM_NETBOX_SECRET_KEY=%s\nBM_NETBOX_PEPPER=%s\n' "$(head -c 48 /dev/urandom | base64 | tr -d '+/=\n')" \
      "$(head -c 48 /dev/urandom | base64 | tr -d '+/=\n')" >"$CACHE/secrets.env"
    umask 022
  fi
  chroot "$ROOT" getent passwd netbox >/dev/null || chroot "$ROOT" useradd --system --home-dir /opt/netbox --no-create-home netbox
}

# Inside the private namespace: initdb, migrate, seed users/tokens, stop.
template() {
  paths "$1"
  mount_root
  PG_BIN=$(pg_bin)
  local tdir=/var/lib/bm-netbox/template rundir=/var/lib/bm-netbox/template-run
  rm -rf "$ROOT$tdir" "$ROOT$rundir"
  mkdir -p "$ROOT$tdir" "$ROOT$rundir"
  chroot "$ROOT" chown postgres:postgres "$tdir" "$rundir"
  chmod 0777 "$ROOT$rundir"
  as_postgres "$PG_BIN/initdb" -D "$tdir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$CACHE/initdb.log"
  local db redis
  db=$(free_port) redis=$(free_port)
  start_services "$tdir" "$db" "$redis" "$rundir"
  trap 'as_postgres "$PG_BIN/pg_ctl" -D "'"$tdir"'" -m fast stop >/dev/null 2>&1 || true; stop_pid "$(cat "'"$ROOT$rundir"'/redis.pid" 2>/dev/null)"' EXIT
  as_postgres psql -q -h 127.0.0.1 -p "$db" -U postgres -c "CREATE USER netbox" -c "CREATE DATABASE netbox OWNER netbox"
  # NetBox 4.7 uses ltree; creating an extension needs a superuser, which the netbox role is not.
  as_postgres psql -q -h 127.0.0.1 -p "$db" -U postgres -d netbox -c "CREATE EXTENSION IF NOT EXISTS ltree"
  local t=$SECONDS
  as_netbox "$db" "$redis" netbox migrate --no-input >"$CACHE/migrate.log" 2>&1 || die "migrations failed; see $CACHE/migrate.log"
  log "migrations took $((SECONDS - t)) s"
  as_netbox "$db" "$redis" python3 /opt/netbox/conf/seed.py /opt/netbox/conf/permissions.json >"$CACHE/credentials.json.partial"
  chmod 0600 "$CACHE/credentials.json.partial" && mv "$CACHE/credentials.json.partial" "$CACHE/credentials.json"
}

# start: copy the template cluster, bring PostgreSQL, Redis and gunicorn up on free ports.
start() {
  need_root
  paths "${1:-}"
  build "$VERSION"  # a no-op when every stage is cached and the template is current
  install_conf
  local id
  id="$(date +%s)-$$"
  local rundir=/run/bm-netbox/$id
  mkdir -p "$ROOT$rundir"
  chmod 0777 "$ROOT$rundir"
  cp -a "$ROOT/var/lib/bm-netbox/template" "$ROOT$rundir/pgdata"
  "$0" __start "$VERSION" "$rundir"
}

start_in_namespace() {
  paths "$1"
  local rundir=$2 state="$ROOT$2/state.json"
  mount_root
  PG_BIN=$(pg_bin)
  local db redis http
  db=$(free_port) redis=$(free_port) http=$(free_port)
  start_services "$rundir/pgdata" "$db" "$redis" "$rundir"
  as_netbox "$db" "$redis" gunicorn --bind "127.0.0.1:$http" --workers 3 --threads 3 --timeout 120 \
    --pid "$rundir/gunicorn.pid" --error-logfile "$rundir/gunicorn.log" --daemon --chdir /opt/netbox netbox.wsgi 9>&-
  local pg_pid redis_pid gunicorn_pid=""
  pg_pid=$(head -1 "$ROOT$rundir/pgdata/postmaster.pid")
  redis_pid=$(cat "$ROOT$rundir/redis.pid")
  for _ in $(seq 1 100); do [ -s "$ROOT$rundir/gunicorn.pid" ] && break; sleep 0.1; done
  gunicorn_pid=$(cat "$ROOT$rundir/gunicorn.pid" 2>/dev/null || true)
  python3 - "$CACHE/credentials.json" "$state" "$VERSION" "$http" "$ROOT$rundir" "$pg_pid" "$redis_pid" "$gunicorn_pid" <<'EOF'
import json, sys
creds, state, version, http, rundir, pg, redis, gunicorn = sys.argv[1:]
data = json.load(open(creds))
data.update(version=version, url=f'http://127.0.0.1:{http}', runDir=rundir,
            pids={'postgres': int(pg), 'redis': int(redis), 'gunicorn': int(gunicorn) if gunicorn else None, 'rqworker': None})
open(state, 'w').write(json.dumps(data, indent=2) + '\n')
EOF
  chmod 0600 "$state"
  # Ready when the API answers with a token (gunicorn workers import Django first).
  local token url="http://127.0.0.1:$http"
  token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"]["tokens"]["v1"])' "$state")
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null -H "Authorization: Token $token" "$url/api/status/" 2>/dev/null; then
      start_rqworker "$db" "$redis" "$rundir"
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["pids"]["rqworker"]=int(sys.argv[2])
open(sys.argv[1],"w").write(json.dumps(d, indent=2)+"\n")' "$state" "$(cat "$ROOT$rundir/rqworker.pid")"
      echo "$state"
      return 0
    fi
    [ -n "$gunicorn_pid" ] && kill -0 "$gunicorn_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "NetBox did not answer on $url; see $ROOT$rundir/gunicorn.log"
  stop_state "$state"
  exit 1
}

stop_state() {
  local state=$1
  [ -f "$state" ] || die "no such instance state file: $state"
  local pids
  pids=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["pids"]
print(p.get("rqworker") or "-", p["gunicorn"] or "-", p["redis"], p["postgres"])' "$state")
  read -r rqworker gunicorn redis postgres <<<"$pids"
  # The worker's warm shutdown (it finishes the job in hand, then leaves Redis's worker registry: ~5 s)
  # runs while gunicorn stops; a worker still there after that gets a second TERM (cold shutdown).
  [ "$rqworker" = - ] || kill -TERM "$rqworker" 2>/dev/null || true
  [ "$gunicorn" = - ] || stop_pid "$gunicorn" TERM
  [ "$rqworker" = - ] || stop_pid "$rqworker" TERM
  stop_pid "$redis" TERM
  stop_pid "$postgres" INT
  rm -rf "$(dirname "$state")"
}

stop() {
  [ $# -ge 1 ] || die "usage: netbox.sh stop STATE_FILE|all [VERSION]"
  if [ "$1" = all ]; then
    paths "${2:-}"
    for state in "$ROOT"/run/bm-netbox/*/state.json; do [ -e "$state" ] && stop_state "$state"; done
    return 0
  fi
  stop_state "$1"
}

case "${1:-}" in
  build) shift; build "$@" ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  __template | __start)
    [ "${BM_NETBOX_IN_NS:-}" = 1 ] || exec unshare --mount --propagation private -- env BM_NETBOX_IN_NS=1 "$0" "$@"
    if [ "$1" = __template ]; then shift; template "$@"; else shift; start_in_namespace "$@"; fi ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
