#!/usr/bin/env bash
# Concurrent writers (issue 9, High): REPLIERS signed-in customers reply for SECONDS on a demo workspace
# served by TWO `portal serve` processes (replier i uses server i mod 2), while `portal settings set`
# saves a setting every SETTINGS_EVERY seconds. Reports total replies, replies/s, 5xx answers and lost
# writes: replies acknowledged (303) whose text is not in the workspace afterwards, and acknowledged
# replies the customer's ticket page does not show. Target: zero 5xx, zero lost.
#
# Usage: [PORTAL=BINARY] bench/writers.sh   Env: REPLIERS (32), DURATION (seconds, 60), SETTINGS_EVERY (3),
#        CONTACTS (2000), TICKETS (20000). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
REPLIERS=${REPLIERS:-32}
SECONDS_RUN=${DURATION:-60}
SETTINGS_EVERY=${SETTINGS_EVERY:-3}
CONTACTS=${CONTACTS:-2000}
TICKETS=${TICKETS:-20000}
OUT=bench/out/writers
WORKSPACE=$OUT/writers.portal
mkdir -p "$OUT"
cargo build --release --example writers
if [ -z "${PORTAL:-}" ]; then
  cargo build --release --bin portal
  PORTAL=target/release/portal
fi
DRIVER=target/release/examples/writers

rm -f "$WORKSPACE" "$WORKSPACE-wal" "$WORKSPACE-shm"
"$PORTAL" demo --workspace "$WORKSPACE" --contacts "$CONTACTS" --tickets "$TICKETS" >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts a server in this shell (so that cleanup knows its pid) and waits for its URL.
start_server() {
  local name=$1
  rm -f "$OUT/$name.out"
  RUST_LOG=warn "$PORTAL" serve --workspace "$WORKSPACE" --port 0 > "$OUT/$name.out" 2> "$OUT/$name.err" &
  pids+=($!)
  for _ in $(seq 300); do
    [ -s "$OUT/$name.out" ] && break
    sleep 0.1
  done
  [ -s "$OUT/$name.out" ] || { echo "the portal $name did not start: $(cat "$OUT/$name.err")" >&2; exit 1; }
}
start_server serve-1
start_server serve-2
first=$(head -n1 "$OUT/serve-1.out")
second=$(head -n1 "$OUT/serve-2.out")
echo "== two portals on one workspace: $first and $second"

# Contacts with a login, in random order (the driver skips those the access rule turns away).
python3 - "$WORKSPACE" > "$OUT/emails.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for (email,) in db.execute("SELECT c.email FROM contacts c JOIN portal_logins l ON l.contact_id = c.id "
                           "ORDER BY random()"):
    print(email)
PY

run="r$(date +%s)"
load_before=$(uptime)
# Settings saves from another process for the whole run.
(
  saves=0 failed=0
  end=$(( $(date +%s) + SECONDS_RUN + 5 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    if "$PORTAL" settings set page_title "Load run $run save $saves" --workspace "$WORKSPACE" \
        >/dev/null 2>>"$OUT/settings.err"; then
      saves=$((saves + 1))
    else
      failed=$((failed + 1))
    fi
    sleep "$SETTINGS_EVERY"
  done
  echo "settings_saves: $saves" > "$OUT/settings.txt"
  echo "settings_failed: $failed" >> "$OUT/settings.txt"
) &
settings_pid=$!
pids+=($settings_pid)

"$DRIVER" --servers "$first,$second" --emails "$OUT/emails.txt" --password portal-demo \
  --repliers "$REPLIERS" --seconds "$SECONDS_RUN" --run "$run" --acked "$OUT/acked.tsv" | tee "$OUT/driver.txt"
wait "$settings_pid" || true
load_after=$(uptime)
cleanup
wait 2>/dev/null || true

cat "$OUT/settings.txt"
echo "server_500_log_lines: $(cat "$OUT"/serve-*.err | grep -c ' 5[0-9][0-9]\|status=5' || true)"
python3 - "$WORKSPACE" "$OUT/acked.tsv" "$run" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
stored = {}
for (text,) in db.execute("SELECT text FROM messages WHERE text LIKE ?", (f"writers-{sys.argv[3]}-%",)):
    stored[text] = stored.get(text, 0) + 1
acked = [line.rstrip("\n").split("\t")[1] for line in open(sys.argv[2]) if line.strip()]
lost = [text for text in acked if text not in stored]
doubled = sum(1 for count in stored.values() if count > 1)
print(f"messages_in_workspace: {sum(stored.values())}")
print(f"lost_writes: {len(lost)}")
print(f"stored_twice: {doubled}")
threads = db.execute("SELECT count(*) FROM (SELECT ticket_id FROM threads WHERE id LIKE 'portal-th-%' "
                     "GROUP BY ticket_id HAVING count(*) > 1)").fetchone()[0]
print(f"tickets_with_two_portal_threads: {threads}")
PY
echo "== load before: $load_before"
echo "== load after:  $load_after"
