#!/usr/bin/env bash
# Times `promgate test rules` against `promtool test rules` (Debian's 2.42) on the shared
# workloads, side by side, and prints medians, ratios and peak memory.
#
#   benches/compare_promtool.sh [OUTDIR]
#
# Needs: hyperfine and promtool (apt-get install -y hyperfine prometheus), python3, and a
# release build (cargo build --release). Both tools must pass every workload.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
shared=${SHARED_DIR:-../shared}
python3 "$shared/bench/gen_workloads.py" "$out" >/dev/null
promgate=$(pwd)/target/release/promgate
[ -x "$promgate" ] || { echo "build first: cargo build --release" >&2; exit 1; }
cd "$out"
printf '%-10s %12s %12s %8s %12s %12s %8s\n' workload promtool_s promgate_s ratio promtool_MB promgate_MB mem
for w in l4-24h fleet-1h suite; do
  promtool test rules "$w.test.yml" >/dev/null 2>&1 || { echo "promtool fails $w" >&2; exit 1; }
  "$promgate" test rules "$w.test.yml" >/dev/null 2>&1 || { echo "promgate fails $w" >&2; exit 1; }
  hyperfine --style none --warmup 1 --runs "${RUNS:-5}" --export-json "$w.json" \
    "promtool test rules $w.test.yml" "$promgate test rules $w.test.yml" >/dev/null
  read -r pt pg < <(python3 -c "import json,sys; r=json.load(open('$w.json'))['results']; print(r[0]['median'], r[1]['median'])")
  /usr/bin/time -o "$w.promtool.mem" -f %M promtool test rules "$w.test.yml" >/dev/null 2>&1
  /usr/bin/time -o "$w.promgate.mem" -f %M "$promgate" test rules "$w.test.yml" >/dev/null 2>&1
  pm=$(tail -1 "$w.promtool.mem"); gm=$(tail -1 "$w.promgate.mem")
  python3 -c "print('%-10s %12.3f %12.3f %7.1fx %12.1f %12.1f %7.2fx' % ('$w', $pt, $pg, $pt/$pg, $pm/1024, $gm/1024, $gm/$pm))"
done
