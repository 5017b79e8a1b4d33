#!/usr/bin/env bash
# Portal load benchmark (issue 3): signed-in ticket-list pages of many contacts on the 1,000,000-ticket
# demo workspace, with wrk on loopback (64 connections, 30 s), then the same run against the trivial
# /healthz route as the ceiling. Target: >= 3,000 requests/s, p99 < 50 ms, zero errors.
# Reuses bench/out/engine.portal (bench/engine.sh writes it; generated here when missing).
#
# Usage: [PORTAL=BINARY] bench/portal.sh [CONTACTS]   (default 160 signed-in contacts). Not run in CI.
#
# DISTINCT=1 bench/portal.sh 10000: the "no cache hit" mode of issue 9: CONTACTS distinct customers in
# rotation (each is asked for every CONTACTS / rate seconds, longer than the caches keep an entry fresh
# by time). Signing in 10,000 customers through the login form would take argon2 minutes, so this mode
# starts their sessions in the workspace directly, as the login does (random token, its SHA-256 kept),
# for contacts the access rule lets in. Target: >= 5,000 requests/s, p99 < 50 ms, zero errors.
# WORKSPACE=PATH measures another workspace (default the 1,000,000-ticket one).
set -euo pipefail
cd "$(dirname "$0")/.."
CONTACTS=${1:-160}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-64}
WORKSPACE=${WORKSPACE:-bench/out/engine.portal}
OUT=bench/out/portal
mkdir -p "$OUT"
# PORTAL=path/to/portal measures another build (e.g. an older commit's, for a before/after on one machine).
if [ -z "${PORTAL:-}" ]; then
  cargo build --release --bin portal
  PORTAL=target/release/portal
fi
if [ ! -f "$WORKSPACE" ]; then
  "$PORTAL" demo --workspace "$WORKSPACE" --contacts 100000 --tickets 1000000
fi

rm -f "$OUT/serve.out"  # else the loop below may read the last run's address
"$PORTAL" serve --workspace "$WORKSPACE" --port 0 > "$OUT/serve.out" 2> "$OUT/serve.err" &
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
echo "== portal at $url"

cookies="$OUT/cookies.lua"
if [ -n "${DISTINCT:-}" ]; then
  # Sessions for CONTACTS distinct contacts in the access list, started as the login starts them.
  python3 - "$WORKSPACE" "$CONTACTS" "$cookies" <<'PY'
import base64, hashlib, json, os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
settings = json.loads(db.execute("SELECT document FROM settings").fetchone()[0])
lists = settings["access"]["lists"]
marks = ",".join("?" * len(lists))
contacts = [row[0] for row in db.execute(
    f"SELECT DISTINCT contact_id FROM list_memberships WHERE list_id IN ({marks}) ORDER BY random() LIMIT ?",
    (*lists, int(sys.argv[2])))]
now = int(time.time() * 1000)
db.execute("DELETE FROM sessions WHERE csrf_token LIKE 'bench-%'")
with open(sys.argv[3], "w") as out:
    out.write("cookies = {\n")
    for contact in contacts:
        token = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        db.execute("INSERT INTO sessions (token_hash, contact_id, csrf_token, created_at, last_seen_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   (hashlib.sha256(token.encode()).hexdigest(), contact,
                    "bench-" + base64.urlsafe_b64encode(os.urandom(24)).decode(), now, now))
        out.write(f'  "portal_session={token}",\n')
    out.write("}\n")
db.commit()
print(f"== {len(contacts)} distinct customers with a session")
PY
else
  # Contacts with a portal login (the demo gives the first ones the password portal-demo).
  emails=$(python3 - "$WORKSPACE" "$CONTACTS" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for (email,) in db.execute("SELECT c.email FROM contacts c JOIN portal_logins l ON l.contact_id = c.id "
                           "ORDER BY c.rowid LIMIT ?", (int(sys.argv[2]),)):
    print(email)
PY
  )

  echo "cookies = {" > "$cookies"
  signed_in=0
  for email in $emails; do
    jar=$(mktemp)
    csrf=$(curl -s -c "$jar" -b "$jar" "$origin$path/login" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
    curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" \
      --data-urlencode "password=portal-demo" "$origin$path/login"
    session=$(awk '$6 == "portal_session" { print $7 }' "$jar")
    rm -f "$jar"
    if [ -n "$session" ]; then
      echo "  \"portal_session=$session\"," >> "$cookies"
      signed_in=$((signed_in + 1))
    fi
  done
  echo "}" >> "$cookies"
  echo "== $signed_in contacts signed in"
  [ "$signed_in" -gt 0 ] || { echo "no contact could sign in" >&2; exit 1; }
fi

cat > "$OUT/list.lua" <<LUA
dofile("$cookies")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(#cookies); failures = 0 end
function request()
  counter = counter % #cookies + 1
  return wrk.format("GET", "$path", { ["Cookie"] = cookies[counter] })
end
function response(status, headers, body)
  -- A signed-in list page is a 200 with ticket rows; a redirect to the login page is a failure.
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

echo "== machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${DISTINCT:-}" ]; then
  # A first pass has every customer's first page read the session and tickets; the measured run that
  # follows is the steady state of customers returning.
  echo "== warm-up: every customer's first page (${WARMUP:-10s})"
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-10s}" --latency -s "$OUT/list.lua" "$origin" | tee "$OUT/warmup.txt"
fi
echo "== signed-in list pages"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$OUT/list.lua" "$origin" | tee "$OUT/list.txt"
echo "== ceiling: trivial axum route"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$origin/healthz" | tee "$OUT/ceiling.txt"
list=$(awk '/Requests\/sec/ { print $2 }' "$OUT/list.txt")
ceiling=$(awk '/Requests\/sec/ { print $2 }' "$OUT/ceiling.txt")
python3 -c "print(f'== list / ceiling: {float(\"$list\") / float(\"$ceiling\") * 100:.1f} %')"
