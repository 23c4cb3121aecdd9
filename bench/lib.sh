# bench/lib.sh — helpers shared by bench/run, bench/latency, bench/large-transaction, bench/sinks and
# bench/nats/run (sourced).
#
# A throwaway PostgreSQL 15 through scripts/pg-local, psql on it, the CPU time of the server's
# exited backends (the walsender's), a machine description, and statistics (median, min–max).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
PG_LOCAL="$REPO_ROOT/scripts/pg-local"
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
CLK_TCK=$(getconf CLK_TCK)

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

note() {
  echo "$(basename "$0"): $*" >&2
}

# Finds the build directory holding sabot-cdc and bench/sabot-bench-*: $1 if given, else the
# first of build-bench, build.
find_build_dir() {
  local dir
  for dir in "$@" "$REPO_ROOT/build-bench" "$REPO_ROOT/build"; do
    [[ -n "$dir" ]] || continue
    if [[ -x "$dir/sabot-cdc" && -x "$dir/bench/sabot-bench-check" ]]; then
      (cd "$dir" && pwd)
      return
    fi
  done
  die "no build with sabot-cdc and the bench tools; build with: cmake -S $REPO_ROOT -B $REPO_ROOT/build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build $REPO_ROOT/build-bench -j2"
}

# Starts a fresh cluster in $1 with extra settings from stdin (one per line). Sets PG_DIR, DSN,
# POSTMASTER_PID.
pg_start() {
  PG_DIR=$1
  mkdir -p "$PG_DIR"
  cat >"$PG_DIR/extra.conf"
  "$PG_LOCAL" start "$PG_DIR" >/dev/null
  DSN=$("$PG_LOCAL" dsn "$PG_DIR")
  local cluster_dir
  cluster_dir=$(head -n 1 "$PG_DIR/cluster_dir")
  POSTMASTER_PID=$(head -n 1 "$cluster_dir/data/postmaster.pid")
  [[ -d /proc/$POSTMASTER_PID ]] || die "postmaster $POSTMASTER_PID not found"
}

pg_destroy() {
  [[ -n "${PG_DIR:-}" ]] && "$PG_LOCAL" destroy "$PG_DIR" >/dev/null 2>&1 || true
}

# psql on the bench database: unaligned, tuples only, stop on the first error.
sql() {
  "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$DSN" "$@"
}

# CPU seconds×CLK_TCK of every child the postmaster has reaped so far (utime+stime of exited
# backends: /proc/PID/stat fields cutime and cstime).
reaped_children_ticks() {
  awk '{ print $16 + $17 }' "/proc/$POSTMASTER_PID/stat"
}

# Waits until no backend of ours matching the pattern (on its process title) is alive, so its CPU
# time has been reaped into the postmaster's children time.
wait_backends_gone() {
  local pattern=$1 deadline=$((SECONDS + 30))
  while ps --ppid "$POSTMASTER_PID" -o args= | grep -Eq "$pattern"; do
    ((SECONDS < deadline)) || die "backends matching '$pattern' still alive after 30 s"
    sleep 0.02
  done
}

# Client backends (psql) and walsenders of the bench role.
BACKEND_PATTERN='^postgres: (walsender )?sabot '

# Waits until the server has flushed WAL up to $1 (asynchronous commits are flushed by the WAL
# writer within wal_writer_delay), so a walsender can send everything before it.
wait_wal_flushed() {
  local lsn=$1 deadline=$((SECONDS + 30))
  until [[ $(sql -c "SELECT pg_current_wal_flush_lsn() >= '$lsn'::pg_lsn") == t ]]; do
    ((SECONDS < deadline)) || die "WAL not flushed up to $lsn after 30 s"
    sleep 0.05
  done
}

machine_description() {
  local cpu mem
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  printf '%s, %s cores, %s RAM, Linux %s, %s, PostgreSQL %s, g++ %s' \
    "${cpu:-unknown CPU}" "$(nproc)" "$mem" "$(uname -r)" \
    "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown OS}")" \
    "$("$PG_BINDIR/postgres" --version | awk '{ print $3 }')" \
    "$(g++ -dumpfullversion 2>/dev/null || echo '?')"
}

# Load average, to tell a quiet machine from a shared busy one.
load_description() {
  awk '{ printf "load average %s %s %s", $1, $2, $3 }' /proc/loadavg
}

# Reads numbers (one per line) on stdin; prints "median min max" (median of an even count: the
# mean of the middle two).
stats() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) { print "nan nan nan"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      print m, v[1], v[NR]
    }'
}

# "median (min–max)" with printf format $1 for each number, from "median min max" in $2..$4.
fmt_stat() {
  local f=$1
  if [[ "$2" == nan ]]; then
    echo "–"
  elif [[ "$3" == "$4" ]]; then
    printf "$f" "$2"
  else
    printf "$f ($f–$f)" "$2" "$3" "$4"
  fi
}

# A free TCP port on 127.0.0.1 (the kernel's pick).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Messages stored in JetStream stream $2, from nats-server's monitoring endpoint on port $1.
nats_stream_messages() {
  curl -fsS "http://127.0.0.1:$1/jsz?streams=true" | python3 -c '
import json, sys
name = sys.argv[1]
for account in json.load(sys.stdin).get("account_details", []):
    for stream in account.get("stream_detail", []):
        if stream["name"] == name:
            print(stream["state"]["messages"]); sys.exit()
print(0)' "$2"
}
