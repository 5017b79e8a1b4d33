#!/usr/bin/env bash
# Pull benchmark (issue 10, "Speed"): portal pull against the vendor API stub (examples/vendor_stub.rs,
# serving a generated demo account from the test stub, announcing an unlimited rate budget), measured
# end to end: wall time, records per second (companies, contacts, list memberships, tickets, threads
# and messages written), requests per second, and peak memory of the pull (GNU time). Figures go into
# bench/RESULTS.md by hand, with the load average printed at the end.
#
# Usage: bench/pull.sh [CONTACTS] [TICKETS]      (default 2,000 contacts, 20,000 tickets)
# Needs: GNU time at /usr/bin/time (apt: time), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

CONTACTS=${1:-2000}
TICKETS=${2:-20000}
OUT=bench/out/pull
rm -rf "$OUT"
mkdir -p "$OUT"

cargo build --release --bin portal --example vendor_stub
TARGET="${CARGO_TARGET_DIR:-target}/release"

"$TARGET/examples/vendor_stub" "$CONTACTS" "$TICKETS" > "$OUT/url" &
STUB=$!
trap 'kill $STUB 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 1 600); do
  [ -s "$OUT/url" ] && break
  sleep 0.5
done
URL=$(head -1 "$OUT/url")
echo "stub at $URL ($CONTACTS contacts, $TICKETS tickets)"

HUBSPOT_ACCESS_TOKEN=pat-na1-0b5f7e1c-stub-secret-d41d8cd98f00 /usr/bin/time -v \
  "$TARGET/portal" pull --workspace "$OUT/pulled.portal" --api-base "$URL" --format json \
  > "$OUT/summary.json" 2> "$OUT/stderr"

python3 - "$OUT/summary.json" "$OUT/stderr" <<'PY'
import json, re, sys
summary = json.load(open(sys.argv[1]))
stderr = open(sys.argv[2]).read()
counts = summary["counts"]
records = sum(counts[k] for k in ["companies", "contacts", "list_memberships", "tickets", "threads", "messages"])
seconds = summary["seconds"]
peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1))
print(f"records: {records:,} ({', '.join(f'{k} {counts[k]:,}' for k in ['companies','contacts','list_memberships','tickets','threads','messages'])})")
print(f"time: {seconds:.1f} s; {records / seconds:,.0f} records/s; {summary['requests']:,} requests, {summary['requests'] / seconds:,.0f} requests/s; {summary['retries']} retries, {summary['rate_limited']} rate-limited")
print(f"peak memory of the pull: {peak / 1024:.0f} MB")
PY
uptime
