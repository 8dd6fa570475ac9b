#!/bin/sh
# SPDX-License-Identifier: MIT
# CFI unwinding's cost (issue 14): exact mode per malloc+free pair at the
# bottom of a chain of DEPTH frames, built -O2 without frame pointers (walked
# with the module's CFI) and with them. Run as root from the checkout, after
# `make leaktrace`: bench/unwind.sh [N] [DEPTHS]. One run, no repetitions:
# quote ratios as "from one run". Not a test: nothing here asserts.
set -eu
N=${1:-200000}
DEPTHS=${2:-"4 8 16 32"}
out=bench/build
mkdir -p "$out"
for fp in omit no-omit; do
	gcc -O2 -g -f$fp-frame-pointer -fno-builtin bench/deepbench.c -o "$out/deepbench-$fp"
done

# ns/pair from a deepbench line in $1
nspp() {
	awk '/^deepbench: / { print $6; found = 1 } END { exit !found }' "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "FP walk": LEAKTRACE_UNWIND=fp, the frame-pointer walker of before CFI
printf '| depth | untraced, no FP | traced, no FP (CFI) | untraced, FP | traced, FP (CFI) | traced, FP (FP walk) | no FP CFI / FP walk |\n'
printf '|---|---|---|---|---|---|---|\n'
for d in $DEPTHS; do
	for fp in omit no-omit; do
		"$out/deepbench-$fp" "$N" "$d" > "$tmp/u-$fp"
		./leaktrace -q -d 600 -- "$out/deepbench-$fp" "$N" "$d" > "$tmp/t-$fp" 2>/dev/null
	done
	LEAKTRACE_UNWIND=fp ./leaktrace -q -d 600 -- "$out/deepbench-no-omit" "$N" "$d" \
		> "$tmp/t-fpwalk" 2>/dev/null
	uo=$(nspp "$tmp/u-omit"); to=$(nspp "$tmp/t-omit")
	uf=$(nspp "$tmp/u-no-omit"); tf=$(nspp "$tmp/t-no-omit"); tw=$(nspp "$tmp/t-fpwalk")
	printf '| %s | %s ns | %s ns | %s ns | %s ns | %s ns | %.2f× |\n' "$d" "$uo" "$to" "$uf" \
		"$tf" "$tw" "$(echo "$to $tw" | awk '{ print $1 / $2 }')"
done
