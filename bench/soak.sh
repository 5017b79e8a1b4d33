#!/usr/bin/env bash
# Soak run (issue 9, "Also"): wrk keeps CONNECTIONS connections busy for DURATION over signed-in pages
# (list pages and ticket pages of SESSIONS distinct customers, alternating) while REPLIERS customers
# reply continuously (examples/writers.rs) on the same server. Every 30 s it prints the server's
# resident memory (RSS) and open file descriptors; at the end, the fd count again once the load has
# stopped, against the baseline taken before it started. Target: zero errors (non-200 pages, socket
# errors, 5xx replies), flat memory, descriptors back to baseline.
#
# Usage: [PORTAL=BINARY] [WRITERS=BINARY] bench/soak.sh   Env: DURATION (seconds, 600), CONNECTIONS (64), REPLIERS (4),
#        SESSIONS (2000), CONTACTS (10000) and TICKETS (100000) for the demo workspace it creates,
#        or WORKSPACE=PATH to use an existing one. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-600}
CONNECTIONS=${CONNECTIONS:-64}
REPLIERS=${REPLIERS:-4}
SESSIONS=${SESSIONS:-2000}
OUT=bench/out/soak
mkdir -p "$OUT"
# WRITERS=path/to/writers and PORTAL=path/to/portal run prebuilt binaries (e.g. while the tree changes).
if [ -z "${WRITERS:-}" ]; then
  cargo build --release --example writers
  WRITERS=target/release/examples/writers
fi
if [ -z "${PORTAL:-}" ]; then
  cargo build --release --bin portal
  PORTAL=target/release/portal
fi
if [ -z "${WORKSPACE:-}" ]; then
  WORKSPACE=$OUT/soak.portal
  rm -f "$WORKSPACE" "$WORKSPACE-wal" "$WORKSPACE-shm"
  "$PORTAL" demo --workspace "$WORKSPACE" --contacts "${CONTACTS:-10000}" --tickets "${TICKETS:-100000}" >/dev/null
fi

rm -f "$OUT/serve.out"  # else the loop below may read the last run's address
RUST_LOG=warn "$PORTAL" serve --workspace "$WORKSPACE" --port 0 > "$OUT/serve.out" 2> "$OUT/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url=""
for _ in $(seq 300); do
  url=$(head -n1 "$OUT/serve.out" 2>/dev/null || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the portal did not start: $(cat "$OUT/serve.err")" >&2; exit 1; }
origin=${url%/*}
path=/${url##*/}
echo "== portal at $url (pid $server), workspace $WORKSPACE"

# Sessions for SESSIONS customers the access rule lets in (started as the login starts them), each with
# the first ticket their list page shows, for the ticket page (customers whose list is empty get their
# list page twice).
python3 - "$WORKSPACE" "$SESSIONS" "$OUT/pages.lua" "$path" "$origin" <<'PY'
import base64, hashlib, json, os, re, sqlite3, sys, time, urllib.request
db = sqlite3.connect(sys.argv[1], timeout=30)
settings = json.loads(db.execute("SELECT document FROM settings").fetchone()[0])
lists = settings["access"]["lists"]
marks = ",".join("?" * len(lists))
contacts = [row[0] for row in db.execute(
    f"SELECT DISTINCT contact_id FROM list_memberships WHERE list_id IN ({marks}) ORDER BY random() LIMIT ?",
    (*lists, int(sys.argv[2])))]
now = int(time.time() * 1000)
tokens = []
for contact in contacts:
    token = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    db.execute("INSERT INTO sessions (token_hash, contact_id, csrf_token, created_at, last_seen_at) "
               "VALUES (?, ?, ?, ?, ?)",
               (hashlib.sha256(token.encode()).hexdigest(), contact,
                "bench-" + base64.urlsafe_b64encode(os.urandom(24)).decode(), now, now))
    tokens.append(token)
db.commit()
path, origin = sys.argv[4], sys.argv[5]
with open(sys.argv[3], "w") as out:
    out.write("pages = {\n")
    for token in tokens:
        cookie = f"portal_session={token}"
        request = urllib.request.Request(origin + path, headers={"Cookie": cookie})
        html = urllib.request.urlopen(request).read().decode()
        ticket = re.search(r' data-ticket-id="([^"]+)"', html)
        page = f"{path}/{ticket.group(1)}" if ticket else path
        out.write(f'  {{ "{cookie}", "{page}" }},\n')
    out.write("}\n")
print(f"== {len(tokens)} customers with a session")
PY
python3 - "$WORKSPACE" > "$OUT/emails.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for (email,) in db.execute("SELECT c.email FROM contacts c JOIN portal_logins l ON l.contact_id = c.id "
                           "ORDER BY random()"):
    print(email)
PY

cat > "$OUT/soak.lua" <<LUA
dofile("$OUT/pages.lua")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(#pages); failures = 0 end
function request()
  counter = counter + 1
  local page = pages[counter % #pages + 1]
  local target = "$path"
  if counter % 2 == 0 then target = page[2] end
  return wrk.format("GET", target, { ["Cookie"] = page[1] })
end
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("failures") end
  io.write(string.format("non-200 answers: %d\n", total))
  io.write(string.format("p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
LUA

rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }
fds() { ls "/proc/$server/fd" | wc -l; }
sockets() { find "/proc/$server/fd" -lname 'socket:*' | wc -l; }
sleep 1
base_fds=$(fds)
base_sockets=$(sockets)
echo "== baseline: RSS $(rss_mb) MB, $base_fds file descriptors ($base_sockets sockets); load: $(uptime)"

"$WRITERS" --servers "$url" --emails "$OUT/emails.txt" --password portal-demo \
  --repliers "$REPLIERS" --seconds "$DURATION" --run "soak$(date +%s)" > "$OUT/repliers.txt" &
repliers=$!
# The repliers sign in first (argon2): start the readers once they reply.
sleep 3
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$OUT/soak.lua" "$origin" > "$OUT/wrk.txt" &
readers=$!
elapsed=0
while kill -0 "$readers" 2>/dev/null; do
  sleep 30
  elapsed=$((elapsed + 30))
  kill -0 "$readers" 2>/dev/null || break
  echo "t=${elapsed}s RSS $(rss_mb) MB, fds $(fds), load $(cut -d' ' -f1-3 /proc/loadavg)"
done
wait "$readers" || true
wait "$repliers" || true
echo "== load stopped: RSS $(rss_mb) MB, $(fds) file descriptors ($(sockets) sockets)"
# Connections to the workspace that the load opened close after a minute unused (storage/mod.rs).
waited=0
while [ "$(fds)" -gt "$base_fds" ] && [ $waited -lt 120 ]; do sleep 5; waited=$((waited + 5)); done
echo "== after ${waited}s idle: RSS $(rss_mb) MB, $(fds) file descriptors ($(sockets) sockets);" \
  "baseline $base_fds ($base_sockets sockets); load: $(uptime)"
echo "== readers (wrk)"
cat "$OUT/wrk.txt"
echo "== repliers"
cat "$OUT/repliers.txt"
