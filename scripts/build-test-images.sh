#!/usr/bin/env bash
# Build the local database images the testcontainers-based tests use. No
# registry is reachable here, so each image is a Debian rootfs made by
# debootstrap plus an entrypoint that mimics the official image's environment
# variables, loaded with `docker import`:
#   alembic-gate/postgres:15    bookworm: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
#   alembic-gate/mariadb:10.11  bookworm: MYSQL_* / MARIADB_* (USER, PASSWORD, DATABASE, ROOT_PASSWORD)
#   alembic-gate/mysql:9        sid (the only suite with mysql-server): MYSQL_* (as above, and
#                               ROOT_HOST, ALLOW_EMPTY_PASSWORD, RANDOM_ROOT_PASSWORD)
# A build stops when the version installed does not match the tag; it is in the image's
# label org.opencontainers.image.version. MySQL's tag is its major version, as the
# official mysql:9: sid follows MySQL's innovation releases, a new minor every quarter.
#
# usage: scripts/build-test-images.sh [--force] [postgres|mariadb|mysql]...
#   Builds only images that are missing or built from an older recipe; with no
#   names, all three. --force re-runs debootstrap and re-imports.
# env:   ALEMBIC_GATE_IMAGE_CACHE    rootfs cache (default /var/cache/alembic-gate-images)
#        ALEMBIC_GATE_DEBIAN_MIRROR  (default http://deb.debian.org/debian)
# All output goes to stderr.
set -euo pipefail

CACHE=${ALEMBIC_GATE_IMAGE_CACHE:-/var/cache/alembic-gate-images}
MIRROR=${ALEMBIC_GATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'build-test-images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

force=0 targets=()
for arg; do
  case $arg in
    --force) force=1 ;;
    postgres | mariadb | mysql) targets+=("$arg") ;;
    -h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done
((${#targets[@]})) || targets=(postgres mariadb mysql)

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

# ------------------------------------------------------------------- mysql --
mysql_entrypoint() {
  cat <<'EOF'
#!/bin/bash
# Stand-in for the official mysql image's docker-entrypoint.sh.
set -Eeuo pipefail
if [ "${1:0:1}" = - ]; then set -- mysqld "$@"; fi
if [ "$1" != mysqld ]; then exec "$@"; fi
datadir=/var/lib/mysql sock=/run/mysqld/mysqld.sock
if [ "$(id -u)" = 0 ]; then  # prepare dirs, then re-run as mysql
  mkdir -p "$datadir" /run/mysqld
  chown mysql:mysql "$datadir" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi
lit() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }  # SQL string literal
ident() { printf '`%s`' "${1//\`/\`\`}"; }                         # SQL identifier
if [ ! -d "$datadir/mysql" ]; then
  root_pw=${MYSQL_ROOT_PASSWORD:-} root_host=${MYSQL_ROOT_HOST:-%}
  user=${MYSQL_USER:-} pw=${MYSQL_PASSWORD:-} db=${MYSQL_DATABASE:-}
  if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    root_pw=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true)
    echo "GENERATED ROOT PASSWORD: $root_pw"
  elif [ -z "$root_pw" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ]; then
    echo 'error: database is uninitialized and password option is not specified' \
      '(MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD)' >&2
    exit 1
  fi
  if [ "$user" = root ]; then echo 'error: MYSQL_USER="root", it is created already' >&2; exit 1; fi
  echo 'Initializing database files'
  "$@" --initialize-insecure --default-time-zone=SYSTEM
  # Temporary socket-only server, as upstream (so it logs "ready for connections" twice).
  "$@" --skip-networking --default-time-zone=SYSTEM --socket="$sock" &
  pid=$!
  cli=(mysql --protocol=socket --socket="$sock" -uroot)
  for i in $(seq 240); do
    "${cli[@]}" -e 'SELECT 1' >/dev/null 2>&1 && break
    if [ "$i" = 240 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo 'error: temporary server did not start' >&2; exit 1
    fi
    sleep 0.25
  done
  {
    echo 'SET @@SESSION.SQL_LOG_BIN=0;'
    echo "ALTER USER root@localhost IDENTIFIED BY $(lit "$root_pw");"
    if [ "$root_host" != localhost ]; then
      echo "CREATE USER root@$(lit "$root_host") IDENTIFIED BY $(lit "$root_pw");"
      echo "GRANT ALL ON *.* TO root@$(lit "$root_host") WITH GRANT OPTION;"
      echo "GRANT PROXY ON ''@'' TO root@$(lit "$root_host") WITH GRANT OPTION;"
    fi
    if [ -n "$db" ]; then echo "CREATE DATABASE IF NOT EXISTS $(ident "$db");"; fi
    if [ -n "$user" ] && [ -n "$pw" ]; then
      echo "CREATE USER $(lit "$user")@'%' IDENTIFIED BY $(lit "$pw");"
      if [ -n "$db" ]; then echo "GRANT ALL ON $(ident "$db").* TO $(lit "$user")@'%';"; fi
    fi
  } | "${cli[@]}" --database=mysql
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "running $f"; bash "$f" ;;
      *.sql) echo "running $f"; MYSQL_PWD=$root_pw "${cli[@]}" ${db:+"--database=$db"} <"$f" ;;
      *.sql.gz) echo "running $f"; gzip -dc "$f" | MYSQL_PWD=$root_pw "${cli[@]}" ${db:+"--database=$db"} ;;
    esac
  done
  kill "$pid"  # SIGTERM: a clean shutdown
  for i in $(seq 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then echo 'error: temporary server did not stop' >&2; exit 1; fi
  echo 'MySQL init process done. Ready for start up.'
fi
exec "$@"
EOF
}

mysql_customize() {  # $1: rootfs
  rm -rf "$1"/var/lib/mysql/*  # the entrypoint initialises the datadir, as upstream
  # The official image's configuration instead of Debian's (which binds 127.0.0.1, logs to
  # a file, and moves to port 3307 when the build machine's 3306 is taken): listen on all
  # addresses, log to stderr, no DNS lookups; and no NUMA interleaving (on in this build,
  # which a container may not do: two warnings per start).
  rm -rf "$1"/etc/mysql/my.cnf "$1"/etc/mysql/mysql.conf.d
  cat >"$1"/etc/mysql/my.cnf <<'EOF'
[mysqld]
bind-address = 0.0.0.0
mysqlx-bind-address = 0.0.0.0
skip-name-resolve
host-cache-size = 0
innodb-numa-interleave = OFF
datadir = /var/lib/mysql
socket = /run/mysqld/mysqld.sock
pid-file = /run/mysqld/mysqld.pid
secure-file-priv = /var/lib/mysql-files
user = mysql

[client]
socket = /run/mysqld/mysqld.sock

!includedir /etc/mysql/conf.d/
EOF
  # the clients' authentication plugins for cloud logins (~35 MB); the server's stay
  rm -f "$1"/usr/lib/mysql/plugin/*_client.so
  mkdir -p "$1"/docker-entrypoint-initdb.d
}

# shellcheck disable=SC2034  # read through a nameref in build()
mysql_changes=(
  'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["mysqld"]'
  "ENV PATH=$BASE_PATH" 'ENV LANG=C.UTF-8' 'EXPOSE 3306' 'EXPOSE 33060'
)

# ----------------------------------------------------------------- helpers --
umount_under() {  # unmount anything a killed debootstrap left mounted in $1
  awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
}

bootstrap() {  # $1: cache dir, $2: suite, $3: packages; leaves $1/rootfs
  local dir=$1 suite=$2 pkgs=$3 tmp=$1/rootfs.tmp
  [[ $EUID -eq 0 ]] || die "debootstrap needs root"
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    { timeout 600 apt-get update -q && timeout 600 apt-get install -y -q debootstrap; } >&2 ||
      die "could not install debootstrap"
  fi
  mkdir -p "$dir"
  umount_under "$dir"
  rm -rf --one-file-system "$dir/rootfs" "$tmp" "$dir/bootstrap.ok"
  log "debootstrap $suite + $pkgs into $tmp (about 90 s; log: $dir/debootstrap.log)"
  if ! timeout 1200 debootstrap --variant=minbase --include="$pkgs" "$suite" "$tmp" "$MIRROR" \
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

# build NAME REF SUITE PACKAGES: uses NAME_entrypoint, NAME_customize, NAME_changes.
# The first package's version must start with REF's tag (an epoch aside).
build() {
  local name=$1 ref=$2 suite=$3 pkgs=$4 dir=$CACHE/$1 recipe current old version
  local -n changes=${name}_changes
  # The recipe hash (a label) makes an edited entrypoint trigger a re-import.
  recipe=$({ echo "$suite $pkgs"; printf '%s\n' "${changes[@]}"; "${name}_entrypoint"
    declare -f "${name}_customize"; } | sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{index .Config.Labels "alembic-gate.recipe"}}' "$ref" 2>/dev/null || true)
  if ((!force)) && [[ $current == "$recipe" ]]; then
    log "$ref is up to date"
    return
  fi
  if ((force)) || [[ ! -f $dir/bootstrap.ok ]]; then
    bootstrap "$dir" "$suite" "$pkgs"
  fi
  version=$(dpkg-query --admindir="$dir/rootfs/var/lib/dpkg" -W -f '${Version}' "${pkgs%%[ ,]*}")
  version=${version#*:}
  if [[ $version != "${ref##*:}".* ]]; then  # e.g. sid moved on to another MySQL
    die "$suite now has ${pkgs%%[ ,]*} $version, not what $ref says: update the tag here" \
      "and where the tests name it (grep -rn '$ref' tests)"
  fi
  "${name}_entrypoint" >"$dir/rootfs/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$dir/rootfs/usr/local/bin/docker-entrypoint.sh"
  "${name}_customize" "$dir/rootfs"
  local args=() c
  for c in "${changes[@]}" "LABEL alembic-gate.recipe=$recipe" \
    "LABEL org.opencontainers.image.version=$version"; do args+=(--change "$c"); done
  log "importing $ref"
  old=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  tar --numeric-owner -C "$dir/rootfs" -c . | docker import "${args[@]}" - "$ref" >/dev/null
  if [[ -n $old ]]; then docker rmi "$old" >/dev/null 2>&1 || true; fi  # now untagged
  log "built $ref: $version ($(docker image inspect -f '{{.Size}}' "$ref" | numfmt --to=iec))"
}

timeout 20 docker info >/dev/null 2>&1 || die "docker daemon not reachable (run scripts/ensure-docker.sh)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"  # one builder at a time
flock -w 1800 9 || die "timed out waiting for another build (lock: $CACHE/.lock)"
for t in "${targets[@]}"; do
  case $t in
    postgres) build pg alembic-gate/postgres:15 bookworm postgresql-15 ;;
    mariadb) build mariadb alembic-gate/mariadb:10.11 bookworm mariadb-server ;;
    mysql) build mysql alembic-gate/mysql:9 sid mysql-server ;;
  esac
done
