#!/usr/bin/env bash
# Engine speed benchmark (issue 2, "Speed"). Builds the release binary, writes the benchmark workspace
# once (100,000 contacts, 20,000 companies, 1,000,000 tickets, ~3,000,000 messages) into bench/out/,
# then measures:
#   - portal demo writing it (only when it is (re)generated),
#   - portal view-as for one contact, end to end (hyperfine, process start included),
#   - portal audit for every contact (wall time, CPU time and peak RSS via /usr/bin/time -v),
#   - portal export, then portal import of that bundle into a new workspace (same),
#   - the rules for one contact in process (cargo bench --bench rules, divan).
# Not run in CI: it takes a few minutes and a few GB of disk. Figures go into bench/RESULTS.md by hand.
#
# Usage: bench/engine.sh [--regenerate] [--skip-import] [--skip-rules-bench]
# WORKSPACE=FILE measures that workspace instead (written there when missing; bench/leak_checks.sh
# takes the same variable, so one demo serves both).
# Needs: hyperfine (apt), GNU time at /usr/bin/time (apt: time), sqlite3 or python3 (to pick the email).
set -euo pipefail
cd "$(dirname "$0")/.."

regenerate=false
skip_import=false
skip_rules_bench=false
for argument in "$@"; do
  case "$argument" in
    --regenerate) regenerate=true ;;
    --skip-import) skip_import=true ;;
    --skip-rules-bench) skip_rules_bench=true ;;
    *) echo "usage: bench/engine.sh [--regenerate] [--skip-import] [--skip-rules-bench]" >&2; exit 2 ;;
  esac
done

CONTACTS=${CONTACTS:-100000}
TICKETS=${TICKETS:-1000000}
CONTACT_ID=${CONTACT_ID:-c12345}
OUT=bench/out
mkdir -p "$OUT"
WORKSPACE="${WORKSPACE:-$OUT/engine.portal}"
BUNDLE="$OUT/engine.bundle.json"
IMPORTED="$OUT/imported.portal"

cargo build --release --bin portal
PORTAL="${CARGO_TARGET_DIR:-target}/release/portal"

for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install hyperfine time)" >&2; exit 2; }
done

# Runs a command under GNU time; prints wall time, CPU time and peak memory on one line.
measure() {
  local label="$1"
  shift
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" 2>"$log" >/dev/null || { cat "$log" >&2; rm -f "$log"; return 1; }
  awk -v label="$label" '
    /Elapsed \(wall clock\)/ { split($NF, t, ":"); wall = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /User time/ { user = $NF }
    /System time/ { sys = $NF }
    /Maximum resident set size/ { rss = $NF }
    END { printf "%-28s wall %7.2f s   cpu %7.2f s   peak RSS %6.0f MB\n", label, wall, user + sys, rss / 1024 }
  ' "$log"
  rm -f "$log"
}

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GB; load average $(cut -d' ' -f1-3 /proc/loadavg)"

if $regenerate || [ ! -f "$WORKSPACE" ]; then
  rm -f "$WORKSPACE" "$WORKSPACE-wal" "$WORKSPACE-shm"
  measure "demo ($TICKETS tickets)" "$PORTAL" demo --workspace "$WORKSPACE" --contacts "$CONTACTS" --tickets "$TICKETS"
fi

query="SELECT email FROM contacts WHERE id = '$CONTACT_ID'"
if command -v sqlite3 >/dev/null; then
  EMAIL=$(sqlite3 "$WORKSPACE" "$query")
else
  EMAIL=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$WORKSPACE" "$query")
fi
echo "== view-as $EMAIL ($("$PORTAL" view-as "$EMAIL" --workspace "$WORKSPACE" --format json | grep -c '"subject"') visible tickets)"
hyperfine -N --warmup 5 --runs 100 --export-json "$OUT/view-as.json" \
  "$PORTAL view-as $EMAIL --workspace $WORKSPACE" \
  "$PORTAL view-as $EMAIL --workspace $WORKSPACE --format json"

echo "== audit, export, import"
measure "audit (every contact)" "$PORTAL" audit --workspace "$WORKSPACE"
if ! $skip_import; then
  rm -f "$BUNDLE"
  measure "export" "$PORTAL" export --workspace "$WORKSPACE" --out "$BUNDLE"
  echo "bundle: $(du -h "$BUNDLE" | cut -f1)"
  rm -f "$IMPORTED" "$IMPORTED-wal" "$IMPORTED-shm"
  measure "import" "$PORTAL" import "$BUNDLE" --workspace "$IMPORTED"
fi

if ! $skip_rules_bench; then
  echo "== rules for one contact, in process"
  cargo bench --bench rules
fi
