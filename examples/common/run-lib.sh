# examples/common/run-lib.sh — what every example's `run` script does before its own part.
# Sourced, not run. An example's run script sets who it is, then calls these in this order:
#
#   EXAMPLE=01 TARGET=example_01 DATABASE=ex01_basic_cdc SCHEMA=ex01 SLOT=ex01_slot PUBLICATION=ex01_pub
#   declare -A WORKLOAD=([--transactions]="" [--pause-ms]=100)   options passed to the workload,
#                                             with the run's default ("" = the workload's own)
#   example_parse_args "$@"     every argument checked by name: a usage error exits 2 at once
#   example_build               build the example's programs → $BIN (SABOT_SKIP_BUILD=1: don't)
#   example_check_args PROGRAM ARGS...  the program checks its values (--check-args): exits 2
#   example_begin               refuse while another run of this example is going (lock file,
#                               active slot); PostgreSQL → $DSN; --cleanup happens here and exits
#   example_setup "what"        the example's schema and tables, then a fresh slot (sabot-cdc init)
#   example_done                how to remove what the run installed
#
# Nothing in the database is touched before every argument was checked. Without --dsn,
# PostgreSQL is scripts/pg-local's cluster in .demo/pg (started if needed) and the example gets its
# own database there. With --dsn, that database is used as given and the example keeps its tables
# in a schema of its own (ex01, ...), created with a mark and never dropped without it; your tables
# are not touched. It installs: that schema, a publication, a slot, and DDL capture (event
# triggers, see README.md "The command-line tool"). `run --cleanup` removes them.
# Environment: SABOT_BUILD_DIR (default build/) to use another build directory; SABOT_DEMO_DIR
# (default .demo/) for the local servers and the runs' lock files; SABOT_SKIP_BUILD=1.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${SABOT_BUILD_DIR:-$REPO_ROOT/build}
DEMO_DIR=${SABOT_DEMO_DIR:-$REPO_ROOT/.demo}
PG_DIR=$DEMO_DIR/pg
CLI=$BUILD_DIR/sabot-cdc
DSN=""
DSN_GIVEN=0
PLUGIN=pgoutput
CLEANUP=0
WORKLOAD_ARGS=()
USAGE_ERROR=2

step() {
  printf '\n==> %s\n' "$*" >&2
}

die() {
  echo "run: $*" >&2
  exit 1
}

usage_error() {
  echo "run: $* (see $0 --help)" >&2
  exit "$USAGE_ERROR"
}

show_help() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 0
}

# Sets WORKLOAD[option]=value; the option must be one the example passes on.
set_workload_option() {
  local option=$1 value=$2
  [[ -v "WORKLOAD[$option]" ]] || usage_error "unknown option $option"
  [[ -n "$value" ]] || usage_error "$option needs a value"
  WORKLOAD[$option]=$value
}

# Parses every argument; a typo stops the run before anything is built or touched.
example_parse_args() {
  while (($#)); do
    case $1 in
      --dsn) [[ $# -ge 2 ]] || usage_error "--dsn needs a value"; DSN=$2; DSN_GIVEN=1; shift 2 ;;
      --plugin) [[ $# -ge 2 ]] || usage_error "--plugin needs a value"; PLUGIN=$2; shift 2 ;;
      --cleanup) CLEANUP=1; shift ;;
      -h | --help) show_help ;;
      --*=*) set_workload_option "${1%%=*}" "${1#*=}"; shift ;;
      --*) set_workload_option "$1" "${2:-}"; shift $(($# >= 2 ? 2 : 1)) ;;
      *) usage_error "unexpected argument '$1'" ;;
    esac
  done
  [[ "$PLUGIN" == pgoutput || "$PLUGIN" == wal2json ]] ||
    usage_error "--plugin must be pgoutput or wal2json, not '$PLUGIN'"
  local option
  for option in "${!WORKLOAD[@]}"; do
    [[ -z "${WORKLOAD[$option]}" ]] || WORKLOAD_ARGS+=("$option" "${WORKLOAD[$option]}")
  done
}

# Builds the example's programs and the CLI (only those: no tests); the first time,
# scripts/build configures build/ and installs what is missing.
example_build() {
  BIN=$BUILD_DIR/examples/$(basename "$(dirname "$0")")
  if [[ "${SABOT_SKIP_BUILD:-0}" == 1 ]]; then
    [[ -x "$CLI" ]] || die "SABOT_SKIP_BUILD=1 but $CLI is not built"
  elif [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    step "First build (scripts/build --target $TARGET: installs what is missing, then builds)"
    [[ "$BUILD_DIR" == "$REPO_ROOT/build" ]] || die "$BUILD_DIR is not configured"
    bash "$REPO_ROOT/scripts/build" --target "$TARGET" >&2
  else
    step "Building $TARGET in $BUILD_DIR"
    cmake --build "$BUILD_DIR" --target "$TARGET" -j"$(nproc)" >&2
  fi
}

# The program says whether it accepts these arguments (their values too), without connecting.
example_check_args() {
  local status=0
  "$@" --check-args || status=$?
  [[ $status -eq 0 ]] || exit "$USAGE_ERROR"
}

# One run of an example at a time on this machine: a second one would re-create the tables and
# the slot under the first and stop it early with its done message.
take_run_lock() {
  mkdir -p "$DEMO_DIR"
  local lock=$DEMO_DIR/run-ex$EXAMPLE.lock
  exec {RUN_LOCK_FD}<>"$lock"
  if ! flock -n "$RUN_LOCK_FD"; then
    die "another run of example $EXAMPLE is going (pid $(cat "$lock")); wait for it to finish or stop it (kill $(cat "$lock")). Nothing was changed."
  fi
  echo "$$" >"$lock"
}

# The local cluster, unless --dsn was given. Sets DSN (and BASE_DSN, the cluster's own database).
start_postgres() {
  if ((DSN_GIVEN)); then
    step "Using the database given by --dsn"
    return
  fi
  step "Starting the local PostgreSQL in $PG_DIR (scripts/pg-local)"
  bash "$REPO_ROOT/scripts/pg-local" start "$PG_DIR" >&2
  BASE_DSN=$(bash "$REPO_ROOT/scripts/pg-local" dsn "$PG_DIR")
  DSN="$(sed 's/dbname=[^ ]*//' <<<"$BASE_DSN") dbname=$DATABASE"
}

# "1" when the example's database exists in the local cluster.
local_database_exists() {
  psql "$BASE_DSN" -X -At -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'"
}

# The walsender pid streaming from the slot, or "" — a run elsewhere (another clone, another
# machine) the lock file cannot see.
slot_active_pid() {
  psql "$DSN" -X -At -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$SLOT' AND active"
}

refuse_active_slot() {
  local pid
  pid=$(slot_active_pid)
  [[ -z "$pid" ]] ||
    die "slot $SLOT is in use (walsender pid $pid on the server): another run of example $EXAMPLE, or a stream of yours, is reading it; stop that first. Nothing was changed."
}

example_begin() {
  take_run_lock
  start_postgres
  if ((!DSN_GIVEN)) && [[ "$(local_database_exists)" != 1 ]]; then
    if ((CLEANUP)); then
      echo "run: database $DATABASE does not exist: nothing to clean up" >&2
      exit 0
    fi
    psql "$BASE_DSN" -X -q -c "CREATE DATABASE $DATABASE" >&2
  fi
  refuse_active_slot
  if ((CLEANUP)); then
    example_cleanup
    exit 0
  fi
}

# What this run leaves in the database, said before it is made.
describe_installation() {
  step "Installing in database $(psql "$DSN" -X -At -c 'SELECT current_database()'): schema $SCHEMA ($1), publication $PUBLICATION, slot $SLOT, DDL capture (event triggers sabot_ddl_command_end, sabot_sql_drop)"
  echo "Your own tables are not touched. Remove it all with: $(cleanup_command)" >&2
}

cleanup_command() {
  local command="examples/$(basename "$(dirname "$0")")/run"
  ((!DSN_GIVEN)) || command+=" --dsn '$DSN'"
  echo "$command --cleanup"
}

# Schema and tables, then a fresh slot: a previous run's slot would replay that run's changes.
example_setup() {
  local tables=$1
  describe_installation "$tables"
  "$BIN/workload" --dsn "$DSN" --setup >&2
  step "sabot-cdc init: publication $PUBLICATION, slot $SLOT ($PLUGIN)"
  "$CLI" slots --dsn "$DSN" drop "$SLOT" >/dev/null 2>&1 || true
  local qualified="" table
  for table in ${tables//,/ }; do qualified+="${qualified:+,}$SCHEMA.$table"; done
  "$CLI" init --dsn "$DSN" --slot "$SLOT" --publication "$PUBLICATION" --plugin "$PLUGIN" \
    --tables "$qualified" >&2
}

# Drops the slot, the publication, the schema and — when no other slot of this database is left
# to need it — DDL capture; for the local cluster, the example's whole database.
example_cleanup() {
  step "Removing what example $EXAMPLE installed"
  if [[ -n "$(psql "$DSN" -X -At -c "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'")" ]]; then
    "$CLI" slots --dsn "$DSN" drop "$SLOT" >&2
  fi
  if ((!DSN_GIVEN)); then
    psql "$BASE_DSN" -X -q -c "DROP DATABASE $DATABASE" >&2
    echo "database $DATABASE dropped" >&2
    return
  fi
  psql "$DSN" -X -q -c "SET client_min_messages = warning; DROP PUBLICATION IF EXISTS $PUBLICATION" >&2
  echo "publication $PUBLICATION dropped" >&2
  "$BIN/workload" --dsn "$DSN" --cleanup >&2
  local others
  others=$(psql "$DSN" -X -At -c "SELECT string_agg(slot_name, ', ') FROM pg_replication_slots WHERE database = current_database()")
  if [[ -z "$others" ]]; then
    "$CLI" init --dsn "$DSN" --uninstall-ddl-capture >&2
  else
    echo "ddl capture kept: slots $others of this database may use it (sabot-cdc init --uninstall-ddl-capture removes it)" >&2
  fi
}

# Said at the end of every run: the slot stays, and PostgreSQL keeps WAL for it until dropped.
example_done() {
  step "Done. The slot $SLOT stays and makes PostgreSQL keep WAL for it until it is dropped."
  echo "Remove everything this example installed: $(cleanup_command)" >&2
  if ((!DSN_GIVEN)); then
    echo "Stop the local server: scripts/pg-local stop $PG_DIR" >&2
  fi
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
