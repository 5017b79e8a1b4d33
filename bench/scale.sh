#!/usr/bin/env bash
# Issue 11, point 7: the Customers and Visibility views (and the what-if) at 100,000 contacts. Writes
# the demo workspace (CONTACTS contacts, TICKETS tickets) once, then drives the real window (Xvfb +
# tauri-driver, the debug build the window tests use) through src-tauri/tests/scale.rs's ignored test:
# open Customers, scroll it (40 screens, the end, the middle, the top), the same in Visibility, then the
# what-if of contact-only ticket permissions and its "Lose tickets" rows. While each step runs, a 10 ms
# heartbeat in the page records how late it fires: a late beat is a blocked main thread (WebKit has no
# Long Tasks API; where the engine has one, its longest task is read too). Prints a table and the load
# average; the test fails if the window was blocked for more than 100 ms.
#
# Usage: bench/scale.sh   Env: CONTACTS (default 100000), TICKETS (default 200000).
# Needs: Xvfb, tauri-driver, WebKitWebDriver (as the window tests), and the UI's node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTACTS=${CONTACTS:-100000}
TICKETS=${TICKETS:-200000}
OUT=bench/out/scale
mkdir -p "$OUT"
WORKSPACE=$PWD/$OUT/demo-$CONTACTS.portal
(cd ui && npm run build >/dev/null)
cargo build --bin portal
if [ ! -f "$WORKSPACE" ]; then
  echo "== writing the demo workspace: $CONTACTS contacts, $TICKETS tickets"
  target/debug/portal demo --workspace "$WORKSPACE" --contacts "$CONTACTS" --tickets "$TICKETS" --quiet
fi
echo "== load average before: $(cat /proc/loadavg); cores: $(nproc)"
PORTAL_SCALE_WORKSPACE=$WORKSPACE cargo test -p portal-studio --test scale -- \
  --ignored --nocapture views_stay_responsive_at_100k_contacts
