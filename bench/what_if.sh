#!/usr/bin/env bash
# What-if benchmark (issue 5): the impact of a settings draft against the saved settings on the
# 1,000,000-ticket demo workspace, as the desktop app's what-if panel computes it. Target: under 5 s.
# Reuses the workspace bench/engine.sh writes (bench/out/engine.portal); generates it when missing.
#
# Usage: bench/what_if.sh        Not run in CI (release build; generating the workspace takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
WORKSPACE=bench/out/engine.portal
cargo build --release --bin portal --example what_if
if [ ! -f "$WORKSPACE" ]; then
  mkdir -p bench/out
  target/release/portal demo --workspace "$WORKSPACE" --contacts 100000 --tickets 1000000
fi
echo "== machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
target/release/examples/what_if "$WORKSPACE"
