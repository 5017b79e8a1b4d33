#!/usr/bin/env bash
# Pull benchmark (issue 10, "Speed"): portal pull against the vendor API stub (examples/vendor_stub.rs,
# serving a generated demo account from the test stub), measured end to end. Figures go into
# bench/RESULTS.md by hand, with the load average printed at the end.
#
# Usage:
#   bench/pull.sh [CONTACTS] [TICKETS]
#       Throughput: the stub announces an unlimited rate budget. Reports wall time, records per second
#       (companies, contacts, list memberships, tickets, threads and messages written), requests per
#       second and the pull's peak memory (GNU time). Default 2,000 contacts and 20,000 tickets; the
#       issue's size is `bench/pull.sh 20000 200000`.
#   bench/pull.sh paced [CONTACTS] [TICKETS] [MAX_PER_10S]
#       The paced run: the stub allows MAX_PER_10S requests per rolling ten seconds (default 190, the
#       vendor's) and answers 429 beyond it, as the vendor does. Reports the 429s, the share of the
#       budget used, and every time-left estimate the progress lines gave against the real end of its
#       kind. Default 400 contacts and 4,000 tickets (about five minutes at 190 per 10 s).
# Needs: GNU time at /usr/bin/time (apt: time), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=throughput
if [ "${1:-}" = paced ]; then
  MODE=paced
  shift
  CONTACTS=${1:-400}
  TICKETS=${2:-4000}
  LIMIT=${3:-190}
else
  CONTACTS=${1:-2000}
  TICKETS=${2:-20000}
  LIMIT=
fi
OUT=bench/out/pull
rm -rf "$OUT"
mkdir -p "$OUT"

cargo build --release --bin portal --example vendor_stub
TARGET="${CARGO_TARGET_DIR:-target}/release"

# shellcheck disable=SC2086 # LIMIT is empty or one number
"$TARGET/examples/vendor_stub" "$CONTACTS" "$TICKETS" $LIMIT > "$OUT/url" &
STUB=$!
trap 'kill $STUB 2>/dev/null; rm -rf "$OUT"' EXIT
# A large account takes the stub a few minutes to generate.
for _ in $(seq 1 1800); do
  [ -s "$OUT/url" ] && break
  sleep 0.5
done
URL=$(head -1 "$OUT/url")
echo "stub at $URL ($CONTACTS contacts, $TICKETS tickets${LIMIT:+, $LIMIT requests per 10 s})"

if [ "$MODE" = throughput ]; then
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
else
  # Progress lines (standard error is not a terminal: one line per kind and second), each stamped with
  # the seconds since the pull started, to hold every time-left estimate against the real end.
  python3 - "$TARGET/portal" "$URL" "$OUT" "$LIMIT" <<'PY'
import json, os, re, subprocess, sys, time
portal, url, out, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
environment = dict(os.environ, HUBSPOT_ACCESS_TOKEN="pat-na1-0b5f7e1c-stub-secret-d41d8cd98f00")
started = time.monotonic()
pull = subprocess.Popen(
    [portal, "pull", "--workspace", f"{out}/pulled.portal", "--api-base", url, "--format", "json"],
    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, text=True)
lines = []
for line in pull.stderr:
    lines.append((time.monotonic() - started, line.rstrip("\n")))
summary = json.loads(pull.stdout.read())
pull.wait()
wall = time.monotonic() - started
with open(f"{out}/progress.log", "w") as log:
    for at, line in lines:
        log.write(f"{at:8.1f} {line}\n")
# When each kind ended: its "in N s" line.
ended = {}
for at, line in lines:
    done = re.match(r"^(.*?): [\d,]+ in [\d.]+ s", line)
    if done:
        ended[done.group(1)] = at
estimates = []
for at, line in lines:
    estimate = re.match(r"^(.*?): [\d,]+ of [\d,]+ .*about (\d+) s left", line)
    if estimate and estimate.group(1) in ended:
        kind, left = estimate.group(1), int(estimate.group(2))
        real = ended[kind] - at
        estimates.append((kind, at, left, real))
print(f"wall time {wall:.1f} s; pull's own time {summary['seconds']:.1f} s")
requests = summary["requests"]
budget = limit / 10 * summary["seconds"]
print(f"requests {requests:,}; {requests / summary['seconds']:.2f} per second against {limit / 10:.1f} allowed: "
      f"{100 * requests / budget:.1f} % of the budget used; 429 answers: {summary['rate_limited']}, retries: {summary['retries']}")
# Two measures of each estimate: its error against the time that really remained, and the error of
# the end it predicts (now + time left) against the length of the whole pull.
worst_left = worst_end = 0.0
judged = [e for e in estimates if e[3] >= 10]  # the last seconds of a kind round to nothing
for kind, at, left, real in judged:
    worst_left = max(worst_left, abs(left - real) / real)
for kind, at, left, real in estimates:
    worst_end = max(worst_end, abs(left - real) / wall)
print(f"time-left estimates: {len(estimates)}; worst error against the time that remained "
      f"(the {len(judged)} given with >= 10 s left): {100 * worst_left:.1f} %; "
      f"worst error of the predicted end against the pull's length: {100 * worst_end:.1f} %")
by_kind = {}
for kind, at, left, real in estimates:
    by_kind.setdefault(kind, []).append((at, left, real))
for kind, rows in by_kind.items():
    sample = rows if len(rows) <= 12 else rows[:: len(rows) // 10]
    print(f"  {kind}: " + "; ".join(f"at {at:.0f} s said {left} s, took {real:.0f} s" for at, left, real in sample))
PY
fi
uptime
