#!/usr/bin/env bash
# Desktop speed benchmark (issue 4, "Speed"). Under a private Xvfb display, measures Portal Studio
# (release build, on the demo workspace) against an empty Tauri v2 window built from the same Tauri
# version and profile, both measured the same way in the same run:
#   - cold start: process spawn until its top-level window is mapped (polled with xwininfo every 10 ms),
#     median of RUNS runs. NOTE: "mapped", not "UI rendered" — WebKit paints a moment later in both.
#   - idle PSS after IDLE seconds: the app process plus every descendant (the WebKit web and network
#     processes), summed from /proc/<pid>/smaps_rollup. Portal Studio ships with WebKit's accelerated
#     compositing off; the empty window is measured both as it ships and in that mode, and Portal
#     Studio once with compositing forced on, so all three comparisons are in the table.
#   - idle PSS of a first start on a fresh profile (the app creates the demo workspace) against the
#     start after it (issue 9: within 40 MB).
#   - release binary size, and the .deb size (only with --deb: builds it with the Tauri CLI).
# Not run in CI (two release builds: many minutes on a small machine). Prints a table; no thresholds.
#
# Usage: bench/desktop.sh [--deb | --first-run]   Env: RUNS (default 5), IDLE (default 10).
#   --first-run measures only the first start on a fresh profile against the start after it (no empty
#   window to build, no start times).
# Needs: Xvfb, xwininfo (x11-utils), python3 — and the build deps of the app.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
IDLE=${IDLE:-10}
OUT=bench/out/desktop
mkdir -p "$OUT"
ROOT=$PWD
export CARGO_TARGET_DIR=$ROOT/target

echo "== building Portal Studio (release)"
(cd ui && npm run build >/dev/null)
cargo build --release -p portal-studio
APP=$ROOT/target/release/portal-studio
MODE=${1:-}
WORKSPACE=$OUT/demo.portal
EXTRA_ENV=""

if [ "$MODE" != "--first-run" ]; then
cargo build --release --bin portal
echo "== building the empty Tauri v2 window (release, same target dir and lock file)"
EMPTY=$OUT/empty-tauri
mkdir -p "$EMPTY/src" "$EMPTY/dist"
TAURI_VERSION=$(grep -A1 '^name = "tauri"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')
cat > "$EMPTY/Cargo.toml" <<TOML
[package]
name = "empty-tauri"
version = "0.1.0"
edition = "2021"
[workspace]
[dependencies]
tauri = { version = "=$TAURI_VERSION", features = [] }
[build-dependencies]
tauri-build = { version = "2", features = [] }
TOML
cp Cargo.lock "$EMPTY/Cargo.lock"
echo 'fn main() { tauri_build::build() }' > "$EMPTY/build.rs"
cat > "$EMPTY/src/main.rs" <<'RS'
fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the empty window");
}
RS
echo '<!doctype html><title>Empty Tauri</title><body></body>' > "$EMPTY/dist/index.html"
mkdir -p "$EMPTY/icons" && cp icons/32x32.png icons/128x128.png "$EMPTY/icons/"
cat > "$EMPTY/tauri.conf.json" <<'JSON'
{
  "productName": "Empty Tauri",
  "identifier": "bench.empty.tauri",
  "build": { "frontendDist": "./dist" },
  "app": { "windows": [{ "title": "Empty Tauri", "width": 1280, "height": 800 }] },
  "bundle": { "active": false, "icon": ["icons/32x32.png", "icons/128x128.png"] }
}
JSON
(cd "$EMPTY" && cargo build --release)
EMPTY_APP=$ROOT/target/release/empty-tauri

[ -f "$WORKSPACE" ] || ./target/release/portal demo --workspace "$WORKSPACE"
fi

Xvfb_log=$OUT/xvfb.log
exec 3< <(Xvfb -displayfd 1 -screen 0 1440x900x24 -nolisten tcp 2>"$Xvfb_log")
XVFB_PID=$!
read -r DISPLAY_NUMBER <&3
export DISPLAY=":$DISPLAY_NUMBER" NO_AT_BRIDGE=1 GDK_BACKEND=x11
trap 'kill $XVFB_PID 2>/dev/null || true' EXIT

# Prints milliseconds from spawn to a mapped window titled $2; leaves the pid in $OUT/pid.
start_ms() {
  local binary=$1 title=$2
  local t0 t1
  t0=$(date +%s%N)
  env $EXTRA_ENV PORTAL_STUDIO_WORKSPACE=$WORKSPACE "$binary" >>"$OUT/app.log" 2>&1 &
  local pid=$!
  echo $pid > "$OUT/pid"
  until xwininfo -root -tree 2>/dev/null | grep -q "\"$title\""; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$binary exited before its window appeared (see $OUT/app.log)" >&2
      exit 1
    fi
    sleep 0.01
  done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

# PSS in MB of pid $1 and all its descendants.
pss_mb() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
children = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(pid))
    except OSError:
        pass
todo, total, parts = [root], 0, []
while todo:
    pid = todo.pop()
    todo += children.get(pid, [])
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    parts.append(f"{name} {int(line.split()[1]) / 1024:.0f}")
    except OSError:
        pass
# Which process holds what, for finding where memory goes (stderr: not part of the table).
print(f"PSS by process: {', '.join(parts)} MB", file=sys.stderr)
print(f"{total / 1024:.0f}")
PY
}

# Ends the app and waits until its window is gone (else the next run would find the stale window).
stop() {
  local pid title=$1
  pid=$(cat "$OUT/pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local waited=0
  while xwininfo -root -tree 2>/dev/null | grep -q "\"$title\""; do
    sleep 0.01
    waited=$((waited + 1))
    [ $waited -lt 1000 ] || { echo "the window \"$title\" stayed after its process ended" >&2; exit 1; }
  done
  sleep 0.5
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() {
  local binary=$1 title=$2 times=() pss
  start_ms "$binary" "$title" >/dev/null; stop "$title"   # warm the page cache once
  for _ in $(seq "$RUNS"); do
    times+=("$(start_ms "$binary" "$title")")
    stop "$title"
  done
  start_ms "$binary" "$title" >/dev/null
  sleep "$IDLE"
  pss=$(pss_mb "$(cat "$OUT/pid")")
  stop "$title"
  echo "$(printf '%s\n' "${times[@]}" | median) $pss ${times[*]}"
}

# Idle PSS of a first start on a fresh profile (the app creates the demo workspace, issue 9) and of the
# start after it, on the same new workspace file. Prints "FIRST LATER".
first_and_later() {
  local saved=$WORKSPACE first later
  WORKSPACE=$OUT/first-run/demo.portal
  rm -rf "$OUT/first-run" && mkdir -p "$OUT/first-run"
  start_ms "$APP" "Portal Studio" >/dev/null
  sleep "$IDLE"
  first=$(pss_mb "$(cat "$OUT/pid")")
  stop "Portal Studio"
  [ -f "$WORKSPACE" ] || { echo "the first start did not create $WORKSPACE" >&2; exit 1; }
  start_ms "$APP" "Portal Studio" >/dev/null
  sleep "$IDLE"
  later=$(pss_mb "$(cat "$OUT/pid")")
  stop "Portal Studio"
  WORKSPACE=$saved
  echo "$first $later"
}

if [ "$MODE" = "--first-run" ]; then
  echo "== first start on a fresh profile and the start after it (idle PSS after ${IDLE}s); load: $(cat /proc/loadavg)"
  read -r first_pss later_pss < <(first_and_later)
  printf 'idle PSS, MB, first start on a fresh profile (creates the demo): %s; the start after it: %s (%+d MB; target within 40); load after: %s\n' \
    "$first_pss" "$later_pss" $(( first_pss - later_pss )) "$(cat /proc/loadavg)"
  exit 0
fi

echo "== measuring ($RUNS runs each, idle PSS after ${IDLE}s)"
EXTRA_ENV=""
read -r app_ms app_pss app_all < <(measure "$APP" "Portal Studio")
read -r empty_ms empty_pss empty_all < <(measure "$EMPTY_APP" "Empty Tauri")
# Portal Studio turns WebKit's accelerated compositing off (src-tauri/src/main.rs); the empty window
# in that same mode too, so that the difference is the app's own and not the rendering mode's.
EXTRA_ENV="WEBKIT_DISABLE_COMPOSITING_MODE=1"
read -r _ empty_plain_pss _ < <(RUNS=1 measure "$EMPTY_APP" "Empty Tauri")
EXTRA_ENV="WEBKIT_DISABLE_COMPOSITING_MODE=0"
read -r _ app_composited_pss _ < <(RUNS=1 measure "$APP" "Portal Studio")
EXTRA_ENV=""
read -r first_pss later_pss < <(first_and_later)
app_size=$(( $(stat -c %s "$APP") / 1024 / 1024 ))
empty_size=$(( $(stat -c %s "$EMPTY_APP") / 1024 / 1024 ))

deb="(not built; pass --deb)"
if [ "$MODE" = "--deb" ]; then
  (cd ui && npm run tauri -- build --bundles deb >/dev/null)
  deb_file=$(ls -t target/release/bundle/deb/*.deb | head -1)
  deb="$(( $(stat -c %s "$deb_file") / 1024 / 1024 )) MB ($deb_file)"
fi

printf '\n| measure | Portal Studio | empty Tauri v2 window | ratio / difference |\n|---|---|---|---|\n'
printf '| start to mapped window, median ms | %s | %s | %sx |\n' "$app_ms" "$empty_ms" \
  "$(python3 -c "print(round($app_ms / max($empty_ms, 1), 2))")"
printf '| idle PSS, MB (app + WebKit processes), each as it ships | %s | %s | %+d MB |\n' "$app_pss" "$empty_pss" $(( app_pss - empty_pss ))
printf '| idle PSS, MB, both without accelerated compositing | %s | %s | %+d MB |\n' "$app_pss" "$empty_plain_pss" $(( app_pss - empty_plain_pss ))
printf '| idle PSS, MB, both with accelerated compositing | %s | %s | %+d MB |\n' "$app_composited_pss" "$empty_pss" $(( app_composited_pss - empty_pss ))
printf '| release binary, MB | %s | %s | |\n' "$app_size" "$empty_size"
printf '| .deb | %s | | |\n' "$deb"
echo "runs (ms): Portal Studio: $app_all; empty: $empty_all"
printf 'idle PSS, MB, first start on a fresh profile (creates the demo): %s; the start after it: %s (%+d MB; target within 40)\n' \
  "$first_pss" "$later_pss" $(( first_pss - later_pss ))
