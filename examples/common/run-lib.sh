# examples/common/run-lib.sh — what every example's `run` script does before its own part.
# Sourced, not run. Each example's run script:
#
#   example_parse_args "$@"                 --dsn CONNINFO, --plugin NAME, anything else kept
#   example_postgres DATABASE               local throwaway server (or the --dsn one) → $DSN
#   example_build TARGET                    build (scripts/build the first time) → $BUILD_DIR
#   example_fresh_slot SLOT PUB TABLES      drop the slot of a previous run, `sabot-cdc init`
#
# Without --dsn, PostgreSQL is scripts/pg-local's cluster in .demo/pg (started if needed) and the
# example gets its own database there. With --dsn, that server and database are used as given:
# the example's tables in it are dropped and re-created.
# Environment: SABOT_BUILD_DIR (default build/) to use another build directory.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${SABOT_BUILD_DIR:-$REPO_ROOT/build}
PG_DIR=$REPO_ROOT/.demo/pg
CLI=$BUILD_DIR/sabot-cdc
DSN=""
PLUGIN=pgoutput
EXTRA_ARGS=()

step() {
  printf '\n==> %s\n' "$*" >&2
}

die() {
  echo "run: $*" >&2
  exit 1
}

example_parse_args() {
  while (($#)); do
    case $1 in
      --dsn) [[ $# -ge 2 ]] || die "--dsn needs a value"; DSN=$2; shift 2 ;;
      --plugin) [[ $# -ge 2 ]] || die "--plugin needs a value"; PLUGIN=$2; shift 2 ;;
      -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
      *) EXTRA_ARGS+=("$1"); shift ;;
    esac
  done
  [[ "$PLUGIN" == pgoutput || "$PLUGIN" == wal2json ]] || die "--plugin must be pgoutput or wal2json"
}

# Starts the local cluster and creates DATABASE in it, unless --dsn was given. Sets DSN.
example_postgres() {
  local database=$1
  if [[ -n "$DSN" ]]; then
    step "Using the server given by --dsn"
    return
  fi
  step "Starting the local PostgreSQL in .demo/pg (scripts/pg-local)"
  bash "$REPO_ROOT/scripts/pg-local" start "$PG_DIR" >&2
  local exists
  exists=$(bash "$REPO_ROOT/scripts/pg-local" psql "$PG_DIR" -X -At \
    -c "SELECT 1 FROM pg_database WHERE datname = '$database'")
  if [[ "$exists" != 1 ]]; then
    bash "$REPO_ROOT/scripts/pg-local" psql "$PG_DIR" -X -q -c "CREATE DATABASE $database" >&2
  fi
  DSN="$(bash "$REPO_ROOT/scripts/pg-local" dsn "$PG_DIR" | sed 's/dbname=[^ ]*//') dbname=$database"
}

# Builds the example's programs and the CLI; the first time, scripts/build does the whole project.
example_build() {
  local target=$1
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    step "First build (scripts/build: installs what is missing, then builds everything)"
    [[ "$BUILD_DIR" == "$REPO_ROOT/build" ]] || die "$BUILD_DIR is not configured"
    bash "$REPO_ROOT/scripts/build" >&2
  else
    step "Building $target in $BUILD_DIR"
    cmake --build "$BUILD_DIR" --target "$target" -j"$(nproc)" >&2
  fi
}

# A fresh slot: a previous run's slot would replay that run's changes first.
example_fresh_slot() {
  local slot=$1 publication=$2 tables=$3
  step "sabot-cdc init: publication $publication, slot $slot ($PLUGIN)"
  "$CLI" slots --dsn "$DSN" drop "$slot" >/dev/null 2>&1 || true
  "$CLI" init --dsn "$DSN" --slot "$slot" --publication "$publication" --plugin "$PLUGIN" \
    --tables "$tables" >&2
}

# Programs started by example_start; stopped (SIGTERM: they finish cleanly) if the run ends early.
BACKGROUND_PIDS=()
stop_background() {
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
}
trap stop_background EXIT

# Starts a program in the background; its pid is in LAST_PID.
example_start() {
  "$@" &
  LAST_PID=$!
  BACKGROUND_PIDS+=("$LAST_PID")
}

# Waits for a program started by example_start; fails the run if it failed.
example_wait() {
  local pid=$1 name=$2 status=0
  wait "$pid" || status=$?
  [[ $status -eq 0 ]] || die "$name failed (exit code $status)"
}
