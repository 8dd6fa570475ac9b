#!/bin/sh
# SPDX-License-Identifier: MIT
# CFI unwinding's cost (issue 14): exact mode per malloc+free pair at the
# bottom of a chain of DEPTH frames, built -O2 without frame pointers (walked
# with the module's CFI) and with them. Run as root from the checkout, after
# `make leaktrace`: bench/unwind.sh [N] [DEPTHS] [ROUNDS]. Each figure is the
# median of ROUNDS (3) runs, the configurations interleaved round by round:
# quote ratios as "from one run" of the script. Not a test: nothing here
# asserts.
set -eu
N=${1:-200000}
DEPTHS=${2:-"4 8 16 32"}
ROUNDS=${3:-3}
out=bench/build
mkdir -p "$out"
for fp in omit no-omit; do
	gcc -O2 -g -f$fp-frame-pointer -fno-builtin bench/deepbench.c -o "$out/deepbench-$fp"
done
# the same program linked with libstdc++ too, for the tables' sizes
g++ -O2 -g -x c++ bench/deepbench.c -Wl,--no-as-needed -lstdc++ -o "$out/deepbench-cxx"

# ns/pair: the median of the deepbench lines in $1.1 .. $1.ROUNDS
nspp() {
	for r in $(seq "$ROUNDS"); do
		awk '/^deepbench: / { print $6 }' "$1.$r"
	done | sort -g | awk '{ v[NR] = $1 } END { if (!NR) exit 1; print v[int((NR + 1) / 2)] }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "FP walk": LEAKTRACE_UNWIND=fp, the frame-pointer walker of before CFI;
# "cold": LEAKTRACE_UNWIND_NOCACHE=1, every frame's rule searched in the
# tables (the per-CPU PC -> rule cache always missing); the hit rate comes
# from a run with LEAKTRACE_UNWIND_STATS=1 (counting lookups, not timed)
printf '| depth | untraced, no FP | traced, no FP (CFI) | traced, no FP (CFI, cold cache) | rule cache hits | untraced, FP | traced, FP (CFI) | traced, FP (FP walk) | no FP CFI / FP walk |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for d in $DEPTHS; do
	for r in $(seq "$ROUNDS"); do
		for fp in omit no-omit; do
			"$out/deepbench-$fp" "$N" "$d" > "$tmp/u-$fp.$r"
			./leaktrace -q -d 600 -- "$out/deepbench-$fp" "$N" "$d" > "$tmp/t-$fp.$r" \
				2>/dev/null
		done
		LEAKTRACE_UNWIND=fp ./leaktrace -q -d 600 -- "$out/deepbench-no-omit" "$N" "$d" \
			> "$tmp/t-fpwalk.$r" 2>/dev/null
		LEAKTRACE_UNWIND_NOCACHE=1 ./leaktrace -q -d 600 -- "$out/deepbench-omit" "$N" "$d" \
			> "$tmp/t-cold.$r" 2>/dev/null
	done
	LEAKTRACE_UNWIND_STATS=1 ./leaktrace -q -d 600 --json "$tmp/stats.json" -- \
		"$out/deepbench-omit" "$N" "$d" > /dev/null 2>&1
	hits=$(python3 -c 'import json, sys
u = json.load(open(sys.argv[1])).get("unwind") or {}
n = u.get("rule_lookups", 0)
print("%.1f%%" % (100.0 * (n - u["rule_cache_misses"]) / n) if n else "-")' "$tmp/stats.json")
	uo=$(nspp "$tmp/u-omit"); to=$(nspp "$tmp/t-omit"); tc=$(nspp "$tmp/t-cold")
	uf=$(nspp "$tmp/u-no-omit"); tf=$(nspp "$tmp/t-no-omit"); tw=$(nspp "$tmp/t-fpwalk")
	printf '| %s | %s ns | %s ns | %s ns | %s | %s ns | %s ns | %s ns | %.2f× |\n' "$d" "$uo" "$to" \
		"$tc" "$hits" "$uf" "$tf" "$tw" "$(echo "$to $tw" | awk '{ print $1 / $2 }')"
done

# The tables: built once per build id, then read from the cache. A fresh
# cache directory: the first run builds, the second reads.
echo
cache=$tmp/cache
py=$(ls -d "$(pyenv root 2>/dev/null || echo /root/.pyenv)"/versions/3.12.*/bin/python3.12 |
	sort -V | tail -1)
echo "import ctypes; ctypes.CDLL('libstdc++.so.6')" > "$tmp/cxx.py"
for what in "libc: /bin/true" "libc + libstdc++: $out/deepbench-cxx 1000 8" \
	"libc + libpython3.12: $py -c pass" \
	"libc + libpython3.12 + libstdc++: $py $tmp/cxx.py"; do
	label=${what%%:*} cmd=${what#*: }
	for run in cold warm; do
		LEAKTRACE_UNWIND_CACHE=$cache ./leaktrace -v -d 60 -- $cmd > /dev/null 2> "$tmp/v"
		line=$(sed -n 's/.*unwind tables: //p' "$tmp/v")
		echo "$label, $run cache: ${line:-no unwind tables line}"
	done
done
