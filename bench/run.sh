#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of tracing a malloc(64)+free loop: untraced, under ./leaktrace, and under
# the classic memleak probe set in bpftrace. Rounds are interleaved so drift on a
# shared machine hits every config alike; prints per-run and median ns/pair and
# the ratios. See bench/README.md. Knobs (environment):
#   BENCH_ROUNDS (3), BENCH_N_UNTRACED (20000000), BENCH_N_LEAKTRACE (300000),
#   BENCH_N_BPFTRACE (30000), LEAKTRACE (./leaktrace), BPFTRACE (bpftrace)
# shellcheck disable=SC2317 # run_* are called as run_"$config"
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=${BENCH_ROUNDS:-3}
n_untraced=${BENCH_N_UNTRACED:-20000000}
n_leaktrace=${BENCH_N_LEAKTRACE:-300000}
n_bpftrace=${BENCH_N_BPFTRACE:-30000}
leaktrace=${LEAKTRACE:-./leaktrace}
bpftrace=${BPFTRACE:-bpftrace}
bench=bench/build/mallocbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p bench/build
if [ ! -x "$bench" ] || [ bench/mallocbench.c -nt "$bench" ]; then
	${CC:-cc} -O2 -fno-builtin -fno-omit-frame-pointer -Wall -o "$bench" bench/mallocbench.c ||
		{ echo "bench: cannot build $bench" >&2; exit 1; }
fi

# ns/pair from mallocbench's "mallocbench: N pairs X ns/pair" line in file $1
ns_of() {
	awk '/^mallocbench: [0-9]+ pairs/ { print $4; found = 1 } END { exit !found }' "$1"
}

# wait_for FILE PATTERN SECONDS [PID]: 0 once PATTERN shows up, 1 on timeout or
# when PID (the process that should print it) is gone
wait_for() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

run_untraced() {
	"$bench" "$n_untraced" >"$tmp/out" 2>&1 && ns_of "$tmp/out"
}

run_leaktrace() {
	local q=(-q)
	"$leaktrace" --help 2>&1 | grep -q -- '--quiet' || q=()
	# the report goes to the same file; only mallocbench's own line is read
	"$leaktrace" "${q[@]}" -- "$bench" "$n_leaktrace" >"$tmp/lt.out" 2>&1 || {
		echo "bench: leaktrace failed, see below" >&2
		tail -5 "$tmp/lt.out" >&2
		return 1
	}
	ns_of "$tmp/lt.out"
}

# mallocbench starts first and blocks on SIGUSR1; bpftrace attaches by pid; the
# loop starts once bpftrace's BEGIN has printed (all probes are attached by then).
run_bpftrace() {
	local bpid tpid rc=0 calls i
	: >"$tmp/bt.out"
	"$bench" "$n_bpftrace" -w >"$tmp/mb.out" 2>&1 &
	bpid=$!
	if ! wait_for "$tmp/mb.out" waiting 10 "$bpid"; then
		kill "$bpid" 2>/dev/null
		wait "$bpid" 2>/dev/null
		return 1
	fi
	"$bpftrace" -p "$bpid" bench/memleak.bt "$bpid" >"$tmp/bt.out" 2>&1 &
	tpid=$!
	if ! wait_for "$tmp/bt.out" 'memleak.bt: attached' 60 "$tpid"; then
		echo "bench: bpftrace did not attach:" >&2
		grep -v RLIMIT_MEMLOCK "$tmp/bt.out" | tail -5 >&2
		kill "$bpid" "$tpid" 2>/dev/null
		wait "$bpid" "$tpid" 2>/dev/null
		return 1
	fi
	kill -USR1 "$bpid"
	wait "$bpid" || rc=1
	# bpftrace -p exits by itself when its target does; don't hang if it doesn't
	for ((i = 0; i < 200; i++)); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.05; done
	kill -INT "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	calls=$(awk '/^@mallocs:/ { print $2 }' "$tmp/bt.out")
	if [ "${calls:-0}" -lt "$n_bpftrace" ]; then
		echo "bench: bpftrace saw ${calls:-0} of $n_bpftrace mallocs" >&2
		rc=1
	fi
	[ "$rc" -eq 0 ] && ns_of "$tmp/mb.out"
}

median() { # values... -> middle of the sorted list (mean of the middle two)
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

configs=(untraced)
declare -A why_skip=()
if [ "$(id -u)" -ne 0 ]; then
	why_skip[leaktrace]="needs root"
	why_skip[bpftrace]="needs root"
fi
[ -x "$leaktrace" ] || why_skip[leaktrace]="${why_skip[leaktrace]:-$leaktrace not built}"
command -v "$bpftrace" >/dev/null || why_skip[bpftrace]="${why_skip[bpftrace]:-no bpftrace}"
for c in leaktrace bpftrace; do
	[ -z "${why_skip[$c]:-}" ] && configs+=("$c")
done

failed=0
declare -A runs=() n=([untraced]=$n_untraced [leaktrace]=$n_leaktrace [bpftrace]=$n_bpftrace)
echo "malloc(64)+free pairs, $rounds interleaved rounds (untraced: ${n_untraced} pairs," \
	"leaktrace: ${n_leaktrace}, bpftrace: ${n_bpftrace})"
for ((r = 1; r <= rounds; r++)); do
	for c in "${configs[@]}"; do
		if v=$(run_"$c"); then
			runs[$c]+="$v "
			printf '  round %d %-9s %10s ns/pair\n' "$r" "$c" "$v"
		else
			printf '  round %d %-9s     failed\n' "$r" "$c"
			failed=1
		fi
	done
done

echo
printf '%-10s %10s  %-30s %12s  %s\n' config pairs "ns/pair per run" median "vs untraced"
declare -A med=()
for c in untraced leaktrace bpftrace; do
	if [ -n "${why_skip[$c]:-}" ]; then
		printf '%-10s %10s  skipped: %s\n' "$c" - "${why_skip[$c]}"
		continue
	fi
	if [ -z "${runs[$c]:-}" ]; then
		printf '%-10s %10s  every run failed\n' "$c" "${n[$c]}"
		continue
	fi
	# shellcheck disable=SC2086
	med[$c]=$(median ${runs[$c]})
	ratio=-
	[ -n "${med[untraced]:-}" ] && ratio=$(awk -v a="${med[$c]}" -v b="${med[untraced]}" \
		'BEGIN { printf "%.0fx", a / b }')
	printf '%-10s %10s  %-30s %12s  %s\n' "$c" "${n[$c]}" "${runs[$c]}" "${med[$c]}" "$ratio"
done
if [ -n "${med[leaktrace]:-}" ] && [ -n "${med[bpftrace]:-}" ]; then
	awk -v a="${med[leaktrace]}" -v b="${med[bpftrace]}" -v ua="${med[untraced]:-0}" 'BEGIN {
		printf "leaktrace vs bpftrace memleak: %.1fx cheaper per pair", b / a
		if (ua > 0) printf " (%.0f vs %.0f ns of tracing overhead)", a - ua, b - ua
		printf "\n" }'
fi
exit "$failed"
