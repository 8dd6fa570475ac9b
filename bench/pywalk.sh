#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Python frame walk's cost per event, CPython 3.13 (pyenv, frames walked
# from its _Py_DebugOffsets) against Debian unstable's 3.14 (static, stripped,
# LTO, run chrooted in the root of scripts/sid-root.sh), on the same workload:
#
#   bench/pywalk.sh [ITERATIONS]      (root; make bench runs it)
#
# Both run bench/pyworkload.py with PYTHONMALLOC=malloc, so every object goes
# through libc, attached by pid in exact mode. With kernel.bpf_stats_enabled
# the kernel times each BPF program: the allocation return program walks the
# native stack and the Python frames of every allocation, so its ns per run is
# the walk's price. Also the workload's slowdown, exact and lite, against the
# same interpreter untraced. One run; these machines are noisy: compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3000}
leaktrace=$PWD/leaktrace
tmp=$(mktemp -d)
root=$(scripts/sid-root.sh)
trap 'sysctl -qw kernel.bpf_stats_enabled=$old_stats; rm -rf "$tmp" "$root/tmp/pywalk.$$"' EXIT
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
mkdir -p "$root/tmp/pywalk.$$"
cp bench/pyworkload.py "$root/tmp/pywalk.$$/"
py313=$(printf '%s\n' "$(pyenv root 2>/dev/null || echo /root/.pyenv)"/versions/3.13.*/bin/python3.13 |
	sort -V | tail -1)
declare -A argv=(
	[3.13]="$py313 $PWD/bench/pyworkload.py"
	[3.14]="chroot $root python3.14 /tmp/pywalk.$$/pyworkload.py"
)

wait_for() { # file regex seconds
	for _ in $(seq $(($3 * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "pywalk: timed out waiting for '$2' in $1" >&2
	return 1
}

# us per iteration of one run: untraced, or under leaktrace with options $2...
run() { # version [leaktrace options...]
	local v=$1 wpid lpid us
	shift
	# shellcheck disable=SC2086
	PYTHONMALLOC=malloc ${argv[$v]} "$n" -w >"$tmp/py.out" 2>&1 &
	wpid=$!
	wait_for "$tmp/py.out" 'pyworkload: waiting' 30
	lpid=
	if [ $# -gt 0 ]; then
		"$leaktrace" -q -p "$wpid" "$@" >"$tmp/lt.out" 2>"$tmp/lt.err" &
		lpid=$!
		sleep 3 # attached (-q prints no tracing line)
	fi
	kill -USR1 "$wpid"
	wait_for "$tmp/py.out" 'pyworkload: [0-9]+ iterations' 600
	if [ -n "$lpid" ]; then
		cat /proc/"$lpid"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2 }' >"$tmp/ids"
		bpftool prog show --json >"$tmp/progs.json"
		kill -INT "$lpid"
		wait "$lpid" || true
	fi
	kill -USR1 "$wpid"
	wait "$wpid" || true
	awk '/^pyworkload: [0-9]+ iterations wall/ { printf "%.1f\n", $5 / $2 * 1e6 }' "$tmp/py.out"
}

# ns per Python walk (thread state and frames) in the last traced run, timed
# in BPF under LEAKTRACE_TIME_PYWALK=1
walk_ns() {
	python3 - "$tmp/lt.json" <<'EOF'
import json, sys
py = json.load(open(sys.argv[1])).get("python") or {}
n = py.get("walks_timed", 0)
print("%.0f %d %.1f" % (py["walk_ns"] / n, n, py.get("walk_frames", 0) / n) if n else "- 0 -")
EOF
}

# ns per run of leaktrace's allocation return program in the last traced run
ret_ns() {
	python3 - "$tmp/progs.json" "$tmp/ids" <<'EOF'
import json, sys
ours = set(int(x) for x in open(sys.argv[2]).read().split())  # leaktrace's own
best = None
for p in json.load(open(sys.argv[1])):
    if p.get("name") == "lt_ret" and p.get("run_cnt") and p["id"] in ours:
        best = p
print("%.0f %d" % (best["run_time_ns"] / best["run_cnt"], best["run_cnt"]) if best else "- 0")
EOF
}

sysctl -qw kernel.bpf_stats_enabled=1
declare -A base exact lite ret runs walk walks frames
for v in 3.13 3.14; do
	base[$v]=$(run "$v")
	exact[$v]=$(run "$v" --mode exact)
	read -r ret[$v] runs[$v] < <(ret_ns)
	lite[$v]=$(run "$v" --mode lite)
	# a run of its own: the clock reads would weigh on the exact row
	LEAKTRACE_TIME_PYWALK=1 run "$v" --mode exact --json "$tmp/lt.json" >/dev/null
	read -r walk[$v] walks[$v] frames[$v] < <(walk_ns)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a && b) printf "%.2f", a / b; else print "-" }'; }
echo "CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "pyworkload.py $n iterations, PYTHONMALLOC=malloc, attached by pid"
echo
echo "| CPython | untraced µs/iter | exact | lite | allocation return program, ns/run (runs) | Python walk, ns/walk (walks) | frames/walk |"
echo "|---|---|---|---|---|---|---|"
for v in 3.13 3.14; do
	echo "| $v | ${base[$v]} | $(ratio "${exact[$v]}" "${base[$v]}")× |" \
		"$(ratio "${lite[$v]}" "${base[$v]}")× | ${ret[$v]} (${runs[$v]}) | ${walk[$v]} (${walks[$v]}) | ${frames[$v]} |"
done
echo
echo "3.14's allocation return program per event / 3.13's: $(ratio "${ret[3.14]}" "${ret[3.13]}")"
echo "3.14's Python walk per event / 3.13's: $(ratio "${walk[3.14]}" "${walk[3.13]}")"
