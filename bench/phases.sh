#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/phases.sh [SECONDS] [BUDGET] [ROUNDS]: what thinned probes really cost,
# measured inside one run. bench/servicebench.c runs under
# `leaktrace -p --mode lite --max-overhead BUDGET`; it writes its pace every 64
# requests (-t), leaktrace's -vvv says when each probe phase began (stamped
# here as it is read). The service's CPU per request in the off-phases, with
# no probe in it, is the baseline: what the run cost over that is what the
# probes cost, start included, with no untraced run to compare against (runs
# differ by a few % on this machine). Set beside leaktrace's own figure for
# the run (JSON run_pct), and per probe hit: a free's true cost is the step
# from the off-phases to the phases with frees alone, an allocation's the
# step from those to the phases with both (three of each a request).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

secs=${1:-5}
budget=${2:-5}
rounds=${3:-3}
leaktrace=${LEAKTRACE:-./leaktrace}
python=${PYTHON:-/usr/bin/python3}
svc=bench/build/servicebench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p bench/build
if [ ! -x "$svc" ] || [ bench/servicebench.c -nt "$svc" ]; then
	${CC:-cc} -O2 -fno-builtin -Wall -o "$svc" bench/servicebench.c || exit 1
fi
[ "$(id -u)" = 0 ] || { echo "bench/phases.sh: needs root" >&2; exit 1; }

wait_for() { # FILE PATTERN SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

one_round() {
	local s l
	"$svc" "$secs" -w -t "$tmp/trace" >"$tmp/svc.out" &
	s=$!
	wait_for "$tmp/svc.out" "waiting for SIGUSR1" 10 || return 1
	# each stderr line stamped with CLOCK_MONOTONIC as it arrives
	"$leaktrace" -p "$s" --mode lite --max-overhead "$budget" -vvv -i 1 \
		-d $((secs + 30)) --json "$tmp/lt.json" 2>&1 >/dev/null |
		"$python" -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%d %s" % (time.clock_gettime_ns(time.CLOCK_MONOTONIC), line))
' >"$tmp/lt.log" &
	l=$!
	if ! wait_for "$tmp/lt.log" "leaktrace: tracing" 60; then
		echo "bench/phases.sh: leaktrace did not start" >&2
		kill "$s" 2>/dev/null
		return 1
	fi
	kill -USR1 "$s"
	wait_for "$tmp/svc.out" "cpu-ns/request" $((secs + 30))
	pkill -INT -f "leaktrace -p $s " 
	wait "$l"
	kill -USR1 "$s"
	wait "$s"
	"$python" - "$tmp/trace" "$tmp/lt.log" "$tmp/lt.json" <<'EOF'
import bisect, json, re, sys
tr = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
marks = []  # (time, phase entered, phase left)
window = None
for l in open(sys.argv[2], errors="replace"):
    m = re.match(r"(\d+) leaktrace: phase (\d) -> (\d)", l)
    if m:
        marks.append((float(m.group(1)), int(m.group(3)), int(m.group(2))))
    m = re.search(r"budget window .* frees ([\d.]+) ms \((\d+) runs.* allocs ([\d.]+) ms \((\d+) runs", l)
    if m and int(m.group(2)) and int(m.group(4)):
        window = m  # the last one: the factor as last measured
times = [m[0] for m in marks]
cls = {}
for a, b in zip(tr, tr[1:]):
    mid = (a[0] + b[0]) / 2
    i = bisect.bisect_right(times, mid) - 1
    if i < 0:
        k = "start"
    else:
        since = (mid - times[i]) / 1e6
        ph, was = marks[i][1], marks[i][2]
        k = {1: "both", 2: "frees"}.get(ph) or ("winding" if was == 1 else
                                                 "off" if since > 20 else "off, first 20 ms")
    c = cls.setdefault(k, [0.0, 0.0])
    c[0] += b[1] - a[1]
    c[1] += b[2] - a[2]
if "off" not in cls or "frees" not in cls or "both" not in cls:
    print("  no thinned phases to compare"); sys.exit(0)
rate = {k: c / n for k, (c, n) in cls.items() if n}
off = rate["off"]
cpu, n = tr[-1][1] - tr[0][1], tr[-1][2] - tr[0][2]
true = (cpu - n * off) / (n * off) * 100
ov = json.load(open(sys.argv[3])).get("overhead", {})
free_t = (rate["frees"] - off) / 3
alloc_t = (rate["both"] - rate["frees"]) / 3
free_e = alloc_e = float("nan")
if window:
    free_e = float(window.group(1)) * 1e6 / int(window.group(2))
    alloc_e = 2 * float(window.group(3)) * 1e6 / int(window.group(4))
print("  cpu-ns/request: " + ", ".join(f"{k} {rate[k]:.0f}" for k in
      ("off", "frees", "both", "winding", "start", "off, first 20 ms") if k in rate))
print(f"  the run cost {true:.1f}% over its off-phases' pace; leaktrace's estimate for the run "
      f"{ov.get('run_pct', float('nan')):.1f}% (factor x{ov.get('cost_factor', 0):.2f})")
print(f"  a free {free_t:.0f} ns (estimated {free_e:.0f}), an allocation {alloc_t:.0f} ns "
      f"(estimated {alloc_e:.0f})")
print(f"RESULT {true:.2f} {ov.get('run_pct', float('nan')):.2f} {free_t:.0f} {free_e:.0f} "
      f"{alloc_t:.0f} {alloc_e:.0f}")
EOF
}

echo "bench/phases.sh: servicebench ${secs}s under --max-overhead $budget, $rounds rounds, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for ((r = 1; r <= rounds; r++)); do
	echo "round $r"
	one_round | tee -a "$tmp/results" | grep -v '^RESULT'
done
"$python" - "$tmp/results" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in open(sys.argv[1]) if l.startswith("RESULT")]
if not rows:
    sys.exit("bench/phases.sh: no round compared")
med = [statistics.median(c) for c in zip(*rows)]
print()
print("| measured over the off-phases | leaktrace's estimate (run) | a free: true / estimated | an allocation: true / estimated |")
print("|---|---|---|---|")
print(f"| {med[0]:.1f}% | {med[1]:.1f}% | {med[2]:.0f} / {med[3]:.0f} ns | {med[4]:.0f} / {med[5]:.0f} ns |")
tol = max(3, 0.35 * med[0])
print()
print(f"{'met' if abs(med[1] - med[0]) <= tol else 'MISSED':7} the estimate within max(3 points, 35%) "
      f"of the cost measured: {med[1]:.1f}% vs {med[0]:.1f}% (medians of {len(rows)})")
EOF
