#!/usr/bin/env bash
# Make sure a Docker daemon runs and the local test images exist, for the
# testcontainers-based tests. Idempotent; a second run takes seconds.
#
# usage: scripts/ensure-docker.sh [--print-env] [--force]
#   --print-env  print the testcontainers settings as `export` lines on stdout:
#                  eval "$(scripts/ensure-docker.sh --print-env)"
#   --force      rebuild the images (passed to build-test-images.sh)
# env:   ALEMBIC_GATE_SKIP_DOCKER=1  do nothing at all (prints nothing)
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG=/var/log/dockerd-alembic-gate.log

log() { printf 'ensure-docker: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
docker_ok() { command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }

print_env=0 build_args=()
for arg; do
  case $arg in
    --print-env) print_env=1 ;;
    --force) build_args+=(--force) ;;
    -h | --help) sed -n '2,11s/^# \{0,1\}//p' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

if [[ ${ALEMBIC_GATE_SKIP_DOCKER:-} == 1 ]]; then
  log "ALEMBIC_GATE_SKIP_DOCKER=1, doing nothing"
  exit 0
fi

if ! docker_ok; then
  [[ $EUID -eq 0 ]] || die "docker is not reachable, and installing/starting dockerd needs root"
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    log "installing docker.io"
    { timeout 600 apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q docker.io; } >&2 ||
      die "apt-get install docker.io failed"
  fi
  log "starting dockerd (log: $LOG)"
  # setsid: own session, so dockerd outlives this script and its caller.
  # --ip: ports that containers publish bind to 127.0.0.1, not all interfaces.
  setsid dockerd --ip 127.0.0.1 </dev/null >>"$LOG" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 60))
  until docker_ok; do
    why=
    if ! kill -0 "$pid" 2>/dev/null; then why="dockerd exited"; fi
    if ((SECONDS >= deadline)); then why="dockerd not ready after 60 s"; fi
    if [[ -n $why ]]; then
      kill "$pid" 2>/dev/null || true  # the one we started, if still there
      tail -n 15 "$LOG" >&2 || true
      die "$why; this machine probably cannot run Docker (needs root, cgroups, overlayfs, iptables); see $LOG"
    fi
    sleep 1
  done
  log "dockerd is up (pid $pid)"
fi

"$here/build-test-images.sh" "${build_args[@]}" >&2

env_lines=(TESTCONTAINERS_RYUK_DISABLED=true  # the reaper image cannot be pulled
  TESTCONTAINERS_CONNECTION_MODE=docker_host TC_HOST=127.0.0.1)
if ((print_env)); then
  printf 'export %s\n' "${env_lines[@]}"
else
  log "tests need: ${env_lines[*]}"
fi
