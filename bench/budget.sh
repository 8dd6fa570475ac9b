#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/budget.sh [SECONDS] [ROUNDS]: issue 15's budget row. bench/servicebench.c
# (requests with three mixed-size allocations that live a while, and a slow
# leak in open_session()) untraced, and beside `leaktrace -a` with its default
# budget, rounds interleaved. Per round: the service's slowdown, in its own
# CPU time per request (the probes' traps run in its threads; other jobs'
# time does not count), and leaktrace's estimates for that process, side by
# side: for the run (JSON processes[].probe_cost_pct, the start included:
# what the slowdown measures) and the median of its per-window estimates while the service ran
# (from -v, steady state); and where open_session() ranks among the
# service's suspects.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

secs=${1:-10}
rounds=${2:-3}
leaktrace=${LEAKTRACE:-./leaktrace}
python=${PYTHON:-/usr/bin/python3}
svc=bench/build/servicebench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p bench/build
if [ ! -x "$svc" ] || [ bench/servicebench.c -nt "$svc" ]; then
	${CC:-cc} -O2 -fno-builtin -Wall -o "$svc" bench/servicebench.c || exit 1
fi
[ "$(id -u)" = 0 ] || { echo "bench/budget.sh: needs root" >&2; exit 1; }

wait_for() { # FILE PATTERN SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
cpu_of() { awk '/^servicebench: [0-9]+ requests/ { print $6 }' "$1"; }

run_untraced() {
	"$svc" "$secs" >"$tmp/svc.out" && cpu_of "$tmp/svc.out"
}

# -> "cpu_ns_per_request run_pct window_pct rank duty"
run_all() {
	local s l
	"$svc" "$secs" -w >"$tmp/svc.out" &
	s=$!
	"$leaktrace" -a -vv -i 2 --json "$tmp/lt.json" >"$tmp/lt.out" 2>&1 &
	l=$!
	if ! wait_for "$tmp/lt.out" "tracing" 60; then
		echo "bench/budget.sh: leaktrace -a did not start" >&2
		tail -5 "$tmp/lt.out" >&2
		kill "$s" "$l" 2>/dev/null
		return 1
	fi
	kill -USR1 "$s"
	wait_for "$tmp/svc.out" requests $((secs + 30))
	echo "--- service done" >>"$tmp/lt.out"
	kill -INT "$l"
	wait "$l"
	kill -USR1 "$s"
	wait "$s"
	"$python" - "$s" "$tmp/lt.out" "$tmp/lt.json" "$(cpu_of "$tmp/svc.out")" <<'EOF'
import json, re, statistics, sys
pid, log, js, cpu = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
est = []
for line in open(log, errors="replace"):
    if line.startswith("--- service done"):
        break
    m = re.search(r"pid (\d+): probe cost ([\d.]+)% of its CPU", line)
    if m and int(m.group(1)) == pid:
        est.append(float(m.group(2)))
# the first windows are the service's start under full probes: its steady state is what is judged
est = est[2:] or est
d = json.load(open(js))
rank = "-"
ov = d.get("overhead", {})
duty = ov.get("alloc_probe_duty", 1)
run = "-"
for p in d.get("processes", []):
    if p.get("pid") != pid:
        continue
    if "probe_cost_pct" in p:
        run = f"{p['probe_cost_pct']:.1f}"
    sus = [s for s in p.get("stacks", []) if s.get("suspect")]
    for i, s in enumerate(sus):
        if any(f.get("function") == "open_session" for f in s.get("frames", [])):
            rank = str(i + 1)
            break
print(cpu, run, f"{statistics.median(est):.1f}" if est else "-", rank, duty)
EOF
}

echo "bench/budget.sh: servicebench ${secs}s, $rounds interleaved rounds, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
declare -a base=() traced=() ests=() wins=() ranks=()
for ((r = 1; r <= rounds; r++)); do
	u=$(run_untraced) || u=
	read -r t e w k duty < <(run_all) || t=
	printf '  round %d untraced %s cpu-ns/request; -a %s cpu-ns/request, estimate %s%% for the run (windows %s%%), open_session() suspect #%s\n' \
		"$r" "${u:-failed}" "${t:-failed}" "${e:--}" "${w:--}" "${k:--}"
	[ -n "$u" ] && base+=("$u")
	[ -n "$t" ] && traced+=("$t") && ests+=("$e") && wins+=("$w") && ranks+=("$k")
done
[ ${#base[@]} -gt 0 ] && [ ${#traced[@]} -gt 0 ] || { echo "bench/budget.sh: runs failed" >&2; exit 1; }
"$python" - "${base[*]}" "${traced[*]}" "${ests[*]}" "${ranks[*]}" "${wins[*]}" <<'EOF'
import statistics, sys
base = [float(v) for v in sys.argv[1].split()]
traced = [float(v) for v in sys.argv[2].split()]
ests = [float(v) for v in sys.argv[3].split() if v != "-"]
ranks = sys.argv[4].split()
wins = [float(v) for v in sys.argv[5].split() if v != "-"]
u, t = statistics.median(base), statistics.median(traced)
slow = (t / u - 1) * 100
est = statistics.median(ests) if ests else float("nan")
win = statistics.median(wins) if wins else float("nan")
print()
print("| config | cpu-ns/request (median) | slowdown | leaktrace's estimate: run (windows) | open_session() suspect rank |")
print("|---|---|---|---|---|")
print(f"| untraced | {u:.0f} | - | - | - |")
print(f"| leaktrace -a, default budget (5%) | {t:.0f} | {t / u:.3f}x ({slow:+.1f}%) | {est:.1f}% ({win:.1f}%) | {' '.join(ranks)} |")
print()
ok = t <= u * 1.05
print(f"{'met' if ok else 'MISSED':7} -a default budget: the service <= 1.05x: {t / u:.3f}x")
tol = max(3, 0.35 * abs(slow))
ok = abs(est - slow) <= tol
print(f"{'met' if ok else 'MISSED':7} the estimate within max(3 points, 35%) of the slowdown: {est:.1f}% vs {slow:+.1f}%")
ok = ranks and all(k not in ("-",) and int(k) <= 3 for k in ranks)
print(f"{'met' if ok else 'MISSED':7} the slow leak among the service's top three suspects: ranks {' '.join(ranks)}")
EOF
