#!/usr/bin/env bash
# Leak lint and visibility snapshots on the 1M-ticket demo (issue 12, "Speed"). Builds the release
# binary, writes the demo workspace once into bench-data/ (100,000 contacts, 1,000,000 tickets; a few
# minutes), then measures with GNU time (wall, CPU, peak memory):
#   - portal lint (target < 20 s),
#   - portal snapshot save, twice (target < 20 s), and the snapshot's size in the workspace,
#   - portal snapshot diff between the two stored snapshots (target < 5 s),
#   - portal snapshot diff against now (a snapshot computed, then compared),
#   - portal settings set, then portal settings undo: when the change is reported (the save) and when
#     the process ends (the snapshot before the change computed after it, from the pinned state).
# Not run in CI. Figures go into bench/RESULTS.md by hand.
#
# Usage: bench/leak_checks.sh [--keep]   (--keep leaves bench-data/ for another run; deleted otherwise)
# WORKSPACE=FILE measures that workspace instead (written there when missing, never deleted).
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
[ "${1:-}" = "--keep" ] && keep=true
CONTACTS=${CONTACTS:-100000}
TICKETS=${TICKETS:-1000000}
DATA=bench-data
if [ -n "${WORKSPACE:-}" ]; then
  keep=true
else
  WORKSPACE="$DATA/leak.portal"
fi
mkdir -p "$DATA"

cargo build --release --bin portal
PORTAL="${CARGO_TARGET_DIR:-target}/release/portal"
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is missing (apt-get install time)" >&2; exit 2; }

# Runs a command under GNU time; prints wall time, CPU time, peak memory and the exit code on one line.
measure() {
  local label="$1"
  shift
  local log code=0
  log=$(mktemp)
  /usr/bin/time -v "$@" 2>"$log" >/dev/null || code=$?
  awk -v label="$label" -v code="$code" '
    /Elapsed \(wall clock\)/ { split($NF, t, ":"); wall = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /User time/ { user = $NF }
    /System time/ { sys = $NF }
    /Maximum resident set size/ { rss = $NF }
    END { printf "%-34s wall %7.2f s   cpu %7.2f s   peak RSS %6.0f MB   exit %s\n", label, wall, user + sys, rss / 1024, code }
  ' "$log"
  rm -f "$log"
}

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -s "$WORKSPACE" ]; then
  measure "portal demo ($TICKETS tickets)" "$PORTAL" -q demo --workspace "$WORKSPACE" \
    --contacts "$CONTACTS" --tickets "$TICKETS" --replace
fi
echo "== workspace: $(du -h "$WORKSPACE" | cut -f1)"
run=$(date +%s)
measure "portal lint" "$PORTAL" -q lint --workspace "$WORKSPACE" --format json
"$PORTAL" -q lint --workspace "$WORKSPACE" | tail -7 || true
measure "portal snapshot save (1)" "$PORTAL" -q snapshot save "bench-$run-a" --workspace "$WORKSPACE"
measure "portal snapshot save (2)" "$PORTAL" -q snapshot save "bench-$run-b" --workspace "$WORKSPACE"
measure "portal snapshot diff A B" "$PORTAL" -q snapshot diff "bench-$run-a" "bench-$run-b" --workspace "$WORKSPACE"
measure "portal snapshot diff A (now)" "$PORTAL" -q snapshot diff "bench-$run-a" --workspace "$WORKSPACE"
"$PORTAL" snapshot list --workspace "$WORKSPACE" | head -3

# Runs a settings change; prints when its result line appeared (the change saved and reported) and
# when the process ended (the snapshot before it computed too).
timed_change() {
  local label="$1"
  shift
  local start
  start=$(date +%s.%N)
  "$PORTAL" "$@" --workspace "$WORKSPACE" 2>/dev/null | while IFS= read -r _; do
    date +%s.%N
  done | {
    local reported ended
    read -r reported || reported=$start
    cat >/dev/null
    ended=$(date +%s.%N)
    awk -v label="$label" -v start="$start" -v reported="$reported" -v ended="$ended" \
      'BEGIN { printf "%-34s reported after %6.2f s   process ended after %6.2f s\n", label, reported - start, ended - start }'
  }
}
timed_change "portal settings set (save)" settings set page_title "Bench $run"
timed_change "portal settings undo" settings undo
"$PORTAL" snapshot list --workspace "$WORKSPACE" | head -3
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! $keep; then
  rm -rf "$DATA"
fi
