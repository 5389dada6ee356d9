#!/usr/bin/env bash
# Build the local database images the testcontainers-based tests use. No
# registry is reachable here, so each image is a Debian bookworm rootfs made by
# debootstrap plus an entrypoint that mimics the official image's environment
# variables, loaded with `docker import`:
#   alembic-gate/postgres:15    POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
#   alembic-gate/mariadb:10.11  MYSQL_* / MARIADB_* (USER, PASSWORD, DATABASE, ROOT_PASSWORD)
#
# usage: scripts/build-test-images.sh [--force] [postgres|mariadb]...
#   Builds only images that are missing or built from an older recipe; with no
#   names, both. --force re-runs debootstrap and re-imports.
# env:   ALEMBIC_GATE_IMAGE_CACHE    rootfs cache (default /var/cache/alembic-gate-images)
#        ALEMBIC_GATE_DEBIAN_MIRROR  (default http://deb.debian.org/debian)
# All output goes to stderr.
set -euo pipefail

CACHE=${ALEMBIC_GATE_IMAGE_CACHE:-/var/cache/alembic-gate-images}
MIRROR=${ALEMBIC_GATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'build-test-images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

force=0 targets=()
for arg; do
  case $arg in
    --force) force=1 ;;
    postgres | mariadb) targets+=("$arg") ;;
    -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done
((${#targets[@]})) || targets=(postgres mariadb)

# ---------------------------------------------------------------- postgres --
pg_entrypoint() {
  cat <<'EOF'
#!/bin/bash
# Stand-in for the official postgres image's docker-entrypoint.sh.
set -Eeuo pipefail
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
if [ "$(id -u)" = 0 ]; then  # prepare dirs, then re-run as postgres
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
user=${POSTGRES_USER:-postgres} db=${POSTGRES_DB:-${POSTGRES_USER:-postgres}}
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' \
      '(set POSTGRES_HOST_AUTH_METHOD=trust to allow that)' >&2
    exit 1
  fi
  # Like upstream: local and 127.0.0.1 trust, everything else needs a password.
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is word-split, as upstream
  initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
    --encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-}
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  # Temporary socket-only server, as upstream (so it logs "ready" twice).
  pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses=''" start
  export PGUSER=$user PGPASSWORD=${POSTGRES_PASSWORD:-} PGHOST=/var/run/postgresql
  psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password)
  "${psql[@]}" --dbname=postgres -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "running $f"; bash "$f" ;;
      *.sql) echo "running $f"; "${psql[@]}" --dbname="$db" -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -w -t 60 -m fast stop
  echo 'PostgreSQL init process complete; ready for start up.'
fi
exec "$@"
EOF
}

pg_customize() {  # $1: rootfs
  # drop the cluster the package created; upstream-style listen on all addresses
  rm -rf "$1"/etc/postgresql/15/main "$1"/var/lib/postgresql/15/main
  # drop the LLVM JIT (~160 MB; only llvmjit.so uses it, PostgreSQL runs without)
  rm -rf "$1"/usr/lib/postgresql/15/lib/llvmjit* "$1"/usr/lib/postgresql/15/lib/bitcode \
    "$1"/usr/lib/x86_64-linux-gnu/libLLVM-14* "$1"/usr/lib/x86_64-linux-gnu/libz3.so*
  sed -ri "s/^#?(listen_addresses)\s*=\s*\S+.*/\1 = '*'/" \
    "$1"/usr/share/postgresql/15/postgresql.conf.sample
  grep -q "^listen_addresses = '\*'" "$1"/usr/share/postgresql/15/postgresql.conf.sample
  mkdir -p "$1"/docker-entrypoint-initdb.d
}

# shellcheck disable=SC2034  # read through a nameref in build()
pg_changes=(
  'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["postgres"]'
  "ENV PATH=/usr/lib/postgresql/15/bin:$BASE_PATH" 'ENV LANG=C.UTF-8'
  'ENV PGDATA=/var/lib/postgresql/data' 'EXPOSE 5432'
)

# ----------------------------------------------------------------- mariadb --
mariadb_entrypoint() {
  cat <<'EOF'
#!/bin/bash
# Stand-in for the official mariadb image's docker-entrypoint.sh.
set -Eeuo pipefail
if [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi
case $1 in mariadbd | mysqld) ;; *) exec "$@" ;; esac
datadir=/var/lib/mysql sock=/run/mysqld/mysqld.sock
if [ "$(id -u)" = 0 ]; then  # prepare dirs, then re-run as mysql
  mkdir -p "$datadir" /run/mysqld
  chown mysql:mysql "$datadir" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi
var() { local m=MARIADB_$1 y=MYSQL_$1; printf '%s' "${!m:-${!y:-}}"; }  # MARIADB_* wins
lit() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }       # SQL string literal
if [ ! -d "$datadir/mysql" ]; then
  root_pw=$(var ROOT_PASSWORD) root_host=$(var ROOT_HOST)
  user=$(var USER) pw=$(var PASSWORD) db=$(var DATABASE)
  if [ -n "$(var RANDOM_ROOT_PASSWORD)" ]; then
    root_pw=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true)
    echo "GENERATED ROOT PASSWORD: $root_pw"
  elif [ -z "$root_pw" ] && [ -z "$(var ALLOW_EMPTY_ROOT_PASSWORD)" ]; then
    echo 'error: database is uninitialized and no root password option is set' \
      '(MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD, MARIADB_RANDOM_ROOT_PASSWORD)' >&2
    exit 1
  fi
  if [ "$user" = root ]; then echo 'error: MYSQL_USER must not be root' >&2; exit 1; fi
  mariadb-install-db --datadir="$datadir" --rpm --auth-root-authentication-method=normal \
    --skip-test-db --skip-log-bin >/dev/null
  # Temporary socket-only server, as upstream (so it logs "ready for connections" twice).
  mariadbd --skip-networking --socket="$sock" --skip-log-bin &
  pid=$!
  cli=(mariadb --protocol=socket --socket="$sock" -uroot)
  for i in $(seq 120); do
    "${cli[@]}" -e 'SELECT 1' >/dev/null 2>&1 && break
    if [ "$i" = 120 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo 'error: temporary server did not start' >&2; exit 1
    fi
    sleep 0.25
  done
  {
    echo 'SET @@SESSION.SQL_LOG_BIN=0;'
    echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
    echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@', QUOTE(@@hostname));"
    echo "SET PASSWORD FOR root@localhost = PASSWORD($(lit "$root_pw"));"
    if [ "${root_host:=%}" != localhost ]; then
      echo "CREATE USER root@$(lit "$root_host") IDENTIFIED BY $(lit "$root_pw");"
      echo "GRANT ALL ON *.* TO root@$(lit "$root_host") WITH GRANT OPTION;"
    fi
    if [ -n "$db" ]; then echo "CREATE DATABASE IF NOT EXISTS \`${db//\`/\`\`}\`;"; fi
    if [ -n "$user" ] && [ -n "$pw" ]; then
      echo "CREATE USER $(lit "$user")@'%' IDENTIFIED BY $(lit "$pw");"
      if [ -n "$db" ]; then echo "GRANT ALL ON \`${db//\`/\`\`}\`.* TO $(lit "$user")@'%';"; fi
    fi
  } | "${cli[@]}" --database=mysql
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "running $f"; bash "$f" ;;
      *.sql) echo "running $f"; MYSQL_PWD=$root_pw "${cli[@]}" ${db:+"--database=$db"} <"$f" ;;
    esac
  done
  kill "$pid"
  for i in $(seq 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then echo 'error: temporary server did not stop' >&2; exit 1; fi
  echo 'MariaDB init process done. Ready for start up.'
fi
exec "$@"
EOF
}

mariadb_customize() {  # $1: rootfs
  rm -rf "$1"/var/lib/mysql/*  # the entrypoint initialises the datadir, as upstream
  # like upstream: no DNS lookups; listen on all addresses (Debian binds 127.0.0.1)
  printf '[mariadb]\nbind-address = 0.0.0.0\nskip-name-resolve\nhost-cache-size = 0\n' \
    >"$1"/etc/mysql/mariadb.conf.d/99-alembic-gate.cnf
  mkdir -p "$1"/docker-entrypoint-initdb.d
}

# shellcheck disable=SC2034  # read through a nameref in build()
mariadb_changes=(
  'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["mariadbd"]'
  "ENV PATH=$BASE_PATH" 'ENV LANG=C.UTF-8' 'EXPOSE 3306'
)

# ----------------------------------------------------------------- helpers --
umount_under() {  # unmount anything a killed debootstrap left mounted in $1
  awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
}

bootstrap() {  # $1: cache dir, $2: packages; leaves $1/rootfs
  local dir=$1 tmp=$1/rootfs.tmp
  [[ $EUID -eq 0 ]] || die "debootstrap needs root"
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    { timeout 600 apt-get update -q && timeout 600 apt-get install -y -q debootstrap; } >&2 ||
      die "could not install debootstrap"
  fi
  mkdir -p "$dir"
  umount_under "$dir"
  rm -rf --one-file-system "$dir/rootfs" "$tmp" "$dir/bootstrap.ok"
  log "debootstrap $SUITE + $2 into $tmp (about 90 s; log: $dir/debootstrap.log)"
  if ! timeout 1200 debootstrap --variant=minbase --include="$2" "$SUITE" "$tmp" "$MIRROR" \
    >"$dir/debootstrap.log" 2>&1; then
    umount_under "$dir"
    tail -n 20 "$dir/debootstrap.log" >&2
    die "debootstrap failed, see $dir/debootstrap.log"
  fi
  # shrink: package lists, caches, docs, man pages, translations, logs
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/* "$tmp"/var/cache/debconf/*-old \
    "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* "$tmp"/usr/share/info/* \
    "$tmp"/usr/share/locale/* "$tmp"/var/log/*
  mv "$tmp" "$dir/rootfs"
  touch "$dir/bootstrap.ok"
}

# build NAME REF PACKAGES: uses NAME_entrypoint, NAME_customize, NAME_changes
build() {
  local name=$1 ref=$2 pkgs=$3 dir=$CACHE/$1 recipe current old
  local -n changes=${name}_changes
  # The recipe hash (a label) makes an edited entrypoint trigger a re-import.
  recipe=$({ echo "$SUITE $pkgs"; printf '%s\n' "${changes[@]}"; "${name}_entrypoint"
    declare -f "${name}_customize"; } | sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{index .Config.Labels "alembic-gate.recipe"}}' "$ref" 2>/dev/null || true)
  if ((!force)) && [[ $current == "$recipe" ]]; then
    log "$ref is up to date"
    return
  fi
  if ((force)) || [[ ! -f $dir/bootstrap.ok ]]; then
    bootstrap "$dir" "$pkgs"
  fi
  "${name}_entrypoint" >"$dir/rootfs/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$dir/rootfs/usr/local/bin/docker-entrypoint.sh"
  "${name}_customize" "$dir/rootfs"
  local args=() c
  for c in "${changes[@]}" "LABEL alembic-gate.recipe=$recipe"; do args+=(--change "$c"); done
  log "importing $ref"
  old=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  tar --numeric-owner -C "$dir/rootfs" -c . | docker import "${args[@]}" - "$ref" >/dev/null
  if [[ -n $old ]]; then docker rmi "$old" >/dev/null 2>&1 || true; fi  # now untagged
  log "built $ref ($(docker image inspect -f '{{.Size}}' "$ref" | numfmt --to=iec))"
}

timeout 20 docker info >/dev/null 2>&1 || die "docker daemon not reachable (run scripts/ensure-docker.sh)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"  # one builder at a time
flock -w 1800 9 || die "timed out waiting for another build (lock: $CACHE/.lock)"
for t in "${targets[@]}"; do
  case $t in
    postgres) build pg alembic-gate/postgres:15 postgresql-15 ;;
    mariadb) build mariadb alembic-gate/mariadb:10.11 mariadb-server ;;
  esac
done
