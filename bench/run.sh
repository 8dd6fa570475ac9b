#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: what tracing costs, as ratios against the same run untraced.
#  1. C: a malloc(64)+free loop (bench/mallocbench.c) untraced, under leaktrace
#     (exact, exact with --sample-bytes, --mode lite), under the classic memleak
#     probe set in bpftrace (bench/memleak.bt) and under heaptrack.
#  2. Python: bench/pyworkload.py (allocation churn plus one leaking line) on
#     pyenv 3.11 and Debian's python3: untraced, leaktrace exact, lite and --rss
#     attached by pid, and tracemalloc.
#  3. leaktrace's own CPU time and peak RSS for a report over 1,000,000
#     outstanding allocations (bench/holdbench.c, bench/reportcost.py).
# Rounds are interleaved so drift on a shared machine hits every config alike;
# medians; one Markdown table at the end. Options leaktrace was built without
# print "n/a (option not built)". Knobs: see bench/README.md.
# shellcheck disable=SC2317 # run_* are called through variables
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=${BENCH_ROUNDS:-3}
py_rounds=${BENCH_PY_ROUNDS:-3}
n_untraced=${BENCH_N_UNTRACED:-20000000}
n_leaktrace=${BENCH_N_LEAKTRACE:-300000}
n_lite=${BENCH_N_LITE:-1000000}
n_bpftrace=${BENCH_N_BPFTRACE:-30000}
n_heaptrack=${BENCH_N_HEAPTRACK:-2000000}
py_n=${BENCH_PY_N:-60000}
py_n_exact=${BENCH_PY_N_EXACT:-1000}
# Debian's python3 is LTO: exact mode sees only what reaches libc, so it is
# cheap there and runs long enough for the leak to become a suspect
py_n_exact_deb=${BENCH_PY_N_EXACT_DEBIAN:-20000}
py_n_tracemalloc=${BENCH_PY_N_TRACEMALLOC:-4000}
py_interval=${BENCH_PY_INTERVAL:-0.5}
n_report=${BENCH_N_REPORT:-1000000}
report_rounds=${BENCH_REPORT_ROUNDS:-3}
sample_bytes=${BENCH_SAMPLE_BYTES:-524288}
sections=${BENCH_SECTIONS:-c py report}
leaktrace=${LEAKTRACE:-./leaktrace}
bpftrace=${BPFTRACE:-bpftrace}
heaptrack=${HEAPTRACK:-heaptrack}
python=${PYTHON:-/usr/bin/python3} # runs the helper scripts, and is the "Debian" row
bench=bench/build/mallocbench
hold=bench/build/holdbench
pywork=bench/pyworkload.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p bench/build
for prog in mallocbench holdbench; do
	if [ ! -x "bench/build/$prog" ] || [ "bench/$prog.c" -nt "bench/build/$prog" ]; then
		${CC:-cc} -O2 -fno-builtin -fno-omit-frame-pointer -Wall -o "bench/build/$prog" \
			"bench/$prog.c" || { echo "bench: cannot build $prog" >&2; exit 1; }
	fi
done
leak_line=$(grep -n '# LEAK' "$pywork" | cut -d: -f1)

# ns/pair from mallocbench's "mallocbench: N pairs X ns/pair" line in file $1
ns_of() {
	awk '/^mallocbench: [0-9]+ pairs/ { print $4; found = 1 } END { exit !found }' "$1"
}

# µs/iteration from pyworkload's "pyworkload: N iterations wall X s" line in file $1
us_of() {
	awk '/^pyworkload: [0-9]+ iterations wall/ { printf "%.1f\n", $5 / $2 * 1e6; found = 1 }
		END { exit !found }' "$1"
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

stop() { # pids...: kill and reap
	kill "$@" 2>/dev/null
	wait "$@" 2>/dev/null
}

# finish PID SECONDS: reap PID (its exit status) once it exits; kill it and
# return 1 if it is still running after SECONDS
finish() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "bench: pid $1 did not exit within $2 s, killed" >&2
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 1
	fi
	wait "$1"
}

median() { # values... -> middle of the sorted list (mean of the middle two)
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) exit 1
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf (m >= 100 ? "%.0f\n" : "%.3g\n"), m }'
}

lt_help=$("$leaktrace" --help 2>&1)
lt_has() { grep -q -- "$1" <<<"$lt_help"; }
quiet=(-q)
lt_has --quiet || quiet=()

# ---- 1. C malloc+free ----

run_c_untraced() {
	"$bench" "$n_untraced" >"$tmp/out" 2>&1 && ns_of "$tmp/out"
}

run_c_lt() { # leaktrace args...: launch mode; the report goes to the same file
	"$leaktrace" "${quiet[@]}" "$@" >"$tmp/lt.out" 2>&1 || {
		echo "bench: leaktrace $* failed, see below" >&2
		tail -5 "$tmp/lt.out" >&2
		return 1
	}
	ns_of "$tmp/lt.out"
}
run_c_exact() { run_c_lt -- "$bench" "$n_leaktrace"; }
run_c_sampled() { run_c_lt --sample-bytes "$sample_bytes" -- "$bench" "$n_leaktrace"; }
run_c_lite() { run_c_lt --mode lite -- "$bench" "$n_lite"; }
# exact mode's probes with programs that return at once: the probes' own cost
run_c_floor() { LEAKTRACE_NOOP_PROBES=1 run_c_lt -- "$bench" "$n_leaktrace"; }
# untraced, while leaktrace -a traces with a filter this process does not match
run_c_filtered() {
	local lpid v
	"$leaktrace" -a --comm lt-nomatch -d 600 >"$tmp/lta.out" 2>&1 &
	lpid=$!
	if ! wait_for "$tmp/lta.out" "leaktrace: tracing" 60 "$lpid"; then
		echo "bench: leaktrace -a --comm did not start:" >&2
		tail -5 "$tmp/lta.out" >&2
		stop "$lpid"
		return 1
	fi
	v=$(run_c_untraced)
	stop "$lpid"
	echo "$v"
}

run_c_heaptrack() {
	"$heaptrack" -o "$tmp/ht" "$bench" "$n_heaptrack" >"$tmp/ht.out" 2>&1 || {
		echo "bench: heaptrack failed, see below" >&2
		tail -5 "$tmp/ht.out" >&2
		return 1
	}
	rm -f "$tmp"/ht.*z*
	ns_of "$tmp/ht.out"
}

# mallocbench starts first and blocks on SIGUSR1; bpftrace attaches by pid; the
# loop starts once bpftrace's BEGIN has printed (all probes are attached by then).
run_c_bpftrace() {
	local bpid tpid rc=0 calls i
	# empty the files first: a background job truncates its own output only
	# once it runs, and wait_for must not match the previous round's lines
	: >"$tmp/bt.out"
	: >"$tmp/mb.out"
	"$bench" "$n_bpftrace" -w >"$tmp/mb.out" 2>&1 &
	bpid=$!
	if ! wait_for "$tmp/mb.out" waiting 10 "$bpid"; then
		stop "$bpid"
		return 1
	fi
	"$bpftrace" -p "$bpid" bench/memleak.bt "$bpid" >"$tmp/bt.out" 2>&1 &
	tpid=$!
	if ! wait_for "$tmp/bt.out" 'memleak.bt: attached' 60 "$tpid"; then
		echo "bench: bpftrace did not attach:" >&2
		grep -v RLIMIT_MEMLOCK "$tmp/bt.out" | tail -5 >&2
		stop "$bpid" "$tpid"
		return 1
	fi
	kill -USR1 "$bpid"
	finish "$bpid" 600 || rc=1
	# bpftrace -p exits by itself when its target does; don't hang if it doesn't
	for ((i = 0; i < 200; i++)); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.05; done
	kill -INT "$tpid" 2>/dev/null
	finish "$tpid" 30 >/dev/null 2>&1
	calls=$(awk '/^@mallocs:/ { print $2 }' "$tmp/bt.out")
	if [ "${calls:-0}" -lt "$n_bpftrace" ]; then
		echo "bench: bpftrace saw ${calls:-0} of $n_bpftrace mallocs" >&2
		rc=1
	fi
	[ "$rc" -eq 0 ] && ns_of "$tmp/mb.out"
}

# ---- 2. Python workload ----

# run_py_lt PY N leaktrace-args...: the workload waits for SIGUSR1; leaktrace
# attaches by pid; the loop starts once leaktrace says it is tracing, and the
# final report is taken while the workload is still alive. Writes whether the
# report names the leak line to $tmp/verdict.
run_py_lt() {
	local py=$1 n=$2 wpid lpid rc=0
	shift 2
	rm -f "$tmp/py.json" "$tmp/verdict"
	: >"$tmp/py.out" # see run_c_bpftrace
	: >"$tmp/lt.err"
	"$py" "$pywork" "$n" -w >"$tmp/py.out" 2>&1 &
	wpid=$!
	if ! wait_for "$tmp/py.out" 'pyworkload: waiting' 20 "$wpid"; then
		echo "bench: $py $pywork did not start" >&2
		stop "$wpid"
		return 1
	fi
	"$leaktrace" "$@" -i "$py_interval" --json "$tmp/py.json" -p "$wpid" \
		>"$tmp/lt.out" 2>"$tmp/lt.err" &
	lpid=$!
	if ! wait_for "$tmp/lt.err" '^leaktrace: tracing' 60 "$lpid"; then
		echo "bench: leaktrace $* did not attach:" >&2
		tail -5 "$tmp/lt.err" >&2
		stop "$wpid" "$lpid"
		return 1
	fi
	kill -USR1 "$wpid"
	if ! wait_for "$tmp/py.out" 'pyworkload: [0-9]* iterations' 600 "$wpid"; then
		echo "bench: the workload did not finish under leaktrace $*" >&2
		stop "$wpid" "$lpid"
		return 1
	fi
	kill -INT "$lpid"
	finish "$lpid" 120 || { rc=1; echo "bench: leaktrace $* failed:" >&2; tail -5 "$tmp/lt.err" >&2; }
	kill -USR1 "$wpid"
	finish "$wpid" 20 || rc=1
	"$python" bench/leakcheck.py "$tmp/py.json" "$pywork" "$leak_line" >"$tmp/verdict"
	[ "$rc" -eq 0 ] && us_of "$tmp/py.out"
}
run_py_untraced() { "$1" "$pywork" "$py_n" >"$tmp/py.out" 2>&1 && us_of "$tmp/py.out"; }
exact_n() { if [ "$1" = pydeb ]; then echo "$py_n_exact_deb"; else echo "$py_n_exact"; fi; }
run_py_exact() { # plain -p would pick lite on an LTO Python
	if lt_has --mode; then run_py_lt "$1" "$(exact_n "$2")" --mode exact; else run_py_lt "$1" "$(exact_n "$2")"; fi
}
run_py_lite() { run_py_lt "$1" "$py_n" --mode lite; }
run_py_rss() { run_py_lt "$1" "$py_n" --mode lite --rss; } # lite plus page faults
run_py_tracemalloc() {
	"$1" -X tracemalloc=1 "$pywork" "$py_n_tracemalloc" >"$tmp/py.out" 2>&1 &&
		us_of "$tmp/py.out"
}

# ---- 3. report over many outstanding allocations ----

run_report() { # -> "report_cpu_s maxrss_kb allocs stacks dropped"
	"$python" bench/reportcost.py "$leaktrace" "$hold" "$n_report" >"$tmp/rc.out" || return 1
	awk '/^reportcost:/ { print $9, $15, $3, $5, $7; found = 1 } END { exit !found }' \
		"$tmp/rc.out"
}

# ---- what runs ----

declare -A why_skip=() label=() runs=() med=() verdicts=()
if [ "$(id -u)" -ne 0 ]; then
	for c in c:exact c:floor c:sampled c:lite c:filtered c:bpftrace py311:exact py311:lite \
		py311:rss pydeb:exact pydeb:lite pydeb:rss report; do
		why_skip[$c]="needs root"
	done
fi
if [ ! -x "$leaktrace" ]; then
	for c in c:exact c:floor c:sampled c:lite c:filtered py311:exact py311:lite py311:rss \
		pydeb:exact pydeb:lite pydeb:rss report; do
		why_skip[$c]=${why_skip[$c]:-"$leaktrace not built"}
	done
fi
no_opt="n/a (option not built)"
lt_has --sample-bytes || why_skip[c:sampled]=${why_skip[c:sampled]:-$no_opt}
if ! lt_has --mode; then
	for c in c:lite py311:lite pydeb:lite; do why_skip[$c]=${why_skip[$c]:-$no_opt}; done
fi
if ! lt_has --rss; then
	for c in py311:rss pydeb:rss; do why_skip[$c]=${why_skip[$c]:-$no_opt}; done
fi
command -v "$bpftrace" >/dev/null || why_skip[c:bpftrace]=${why_skip[c:bpftrace]:-"no bpftrace"}
command -v "$heaptrack" >/dev/null || why_skip[c:heaptrack]="no heaptrack (apt-get install heaptrack)"

# pyenv 3.11: BENCH_PY311, else the newest 3.11.x under `pyenv root`
py311=${BENCH_PY311:-}
if [ -z "$py311" ]; then
	for root in "$(pyenv root 2>/dev/null)" "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv; do
		[ -n "$root" ] || continue
		py311=$(printf '%s\n' "$root"/versions/3.11.*/bin/python3.11 | sort -V | tail -1)
		[ -x "$py311" ] || py311=''
		[ -n "$py311" ] && break
	done
fi
declare -A pybin=([py311]=$py311 [pydeb]=$python) pyname=()
for p in py311 pydeb; do
	if [ -z "${pybin[$p]}" ] || ! v=$("${pybin[$p]}" -c \
		'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null); then
		pyname[$p]="Python ($p)"
		for c in untraced exact lite rss tracemalloc; do why_skip[$p:$c]="no interpreter"; done
		continue
	fi
	if [ "$p" = py311 ]; then pyname[$p]="Python $v (pyenv)"; else pyname[$p]="Python $v (Debian)"; fi
done

c_configs=(untraced exact floor sampled lite filtered bpftrace heaptrack)
py_configs=(untraced exact lite rss tracemalloc)
label=([untraced]=untraced [exact]="leaktrace exact" [sampled]="leaktrace exact --sample-bytes $sample_bytes"
	[floor]="exact's probes, no-op programs" [filtered]="untraced, beside leaktrace -a --comm (no match)"
	[lite]="leaktrace --mode lite" [rss]="leaktrace --mode lite --rss" [bpftrace]="bpftrace memleak.bt"
	[heaptrack]=heaptrack [tracemalloc]="tracemalloc (-X tracemalloc=1)")

failed=0
record() { # key value: one run's result
	local key=$1 v=$2
	if [ -n "$v" ]; then
		runs[$key]+="$v "
	else
		failed=1
	fi
}

# ---- 1 ----
if [[ " $sections " == *" c "* ]]; then
	echo "C: malloc(64)+free pairs, $rounds interleaved rounds (untraced ${n_untraced} pairs," \
		"leaktrace ${n_leaktrace}, lite ${n_lite}, bpftrace ${n_bpftrace}," \
		"heaptrack ${n_heaptrack})"
	for ((r = 1; r <= rounds; r++)); do
		for c in "${c_configs[@]}"; do
			[ -n "${why_skip[c:$c]:-}" ] && continue
			v=$(run_c_"$c") || v=
			record "c:$c" "$v"
			printf '  round %d %-40s %10s ns/pair\n' "$r" "${label[$c]}" "${v:-failed}"
		done
	done
fi

# ---- 2 ----
if [[ " $sections " == *" py "* ]]; then
	echo "Python: bench/pyworkload.py, leak at line $leak_line, $py_rounds interleaved rounds" \
		"(iterations: $py_n, untraced, lite and lite --rss; exact $py_n_exact, on Debian $py_n_exact_deb;" \
		"tracemalloc $py_n_tracemalloc)"
	for ((r = 1; r <= py_rounds; r++)); do
		for p in py311 pydeb; do
			for c in "${py_configs[@]}"; do
				[ -n "${why_skip[$p:$c]:-}" ] && continue
				rm -f "$tmp/verdict"
				v=$(run_py_"$c" "${pybin[$p]}" "$p") || v=
				record "$p:$c" "$v"
				verdict=
				if [ -s "$tmp/verdict" ]; then
					verdict=$(cat "$tmp/verdict")
					verdicts[$p:$c]+="$verdict;"
				fi
				printf '  round %d %-22s %-30s %10s µs/iter%s\n' "$r" "${pyname[$p]}" \
					"${label[$c]}" "${v:-failed}" "${verdict:+  names leak line: $verdict}"
			done
		done
	done
fi

# ---- 3 ----
report_cpu='' report_rss=0 report_note=''
if [[ " $sections " == *" report "* ]] && [ -z "${why_skip[report]:-}" ]; then
	echo "Report over $n_report outstanding allocations (1000 stacks), $report_rounds rounds"
	for ((r = 1; r <= report_rounds; r++)); do
		if read -r cpu rss allocs stacks dropped < <(run_report); then
			runs[report]+="$cpu "
			[ "$report_rss" -lt "$rss" ] && report_rss=$rss
			report_note="$allocs allocations in $stacks stacks reported, $dropped dropped"
			printf '  round %d report CPU %s s, tracer peak RSS %d MiB (%s)\n' "$r" "$cpu" \
				$((rss / 1024)) "$report_note"
		else
			failed=1
			printf '  round %d report failed\n' "$r"
		fi
	done
	# shellcheck disable=SC2086
	[ -n "${runs[report]:-}" ] && report_cpu=$(median ${runs[report]})
fi

# ---- the table ----

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf (a / b < 10 ? "%.2fx" : "%.0fx"), a / b }'; }

leak_summary() { # "v1;v2;..." -> "names leak line: yes (3/3 runs)"
	awk -v s="$1" 'BEGIN {
		n = split(s, v, ";") - 1
		for (i = 1; i <= n; i++) if (v[i] ~ /^yes/) y++; else if (!why) why = v[i]
		printf "names leak line: %s (%d/%d runs)%s", y == n ? "yes" : "no", y, n,
			why ? "; " why : "" }'
}

row() { # benchmark config value ratio note
	printf '| %s | %s | %s | %s | %s |\n' "$@"
}

table_rows() { # prefix name unit configs...
	local prefix=$1 name=$2 unit=$3 c key base note
	shift 3
	key="$prefix:untraced"
	# shellcheck disable=SC2086
	[ -n "${runs[$key]:-}" ] && med[$key]=$(median ${runs[$key]})
	base=${med[$key]:-}
	for c in "$@"; do
		key="$prefix:$c"
		if [ -n "${why_skip[$key]:-}" ]; then
			row "$name" "${label[$c]}" "${why_skip[$key]}" - ""
			continue
		fi
		if [ -z "${runs[$key]:-}" ]; then
			row "$name" "${label[$c]}" "every run failed" - ""
			continue
		fi
		# shellcheck disable=SC2086
		med[$key]=$(median ${runs[$key]})
		note="runs: ${runs[$key]% }"
		[ -n "${verdicts[$key]:-}" ] && note="$(leak_summary "${verdicts[$key]}"); $note"
		row "$name" "${label[$c]}" "${med[$key]} $unit" "$(ratio "${med[$key]}" "${base:-0}")" \
			"$note"
	done
}

echo
row benchmark config median "vs untraced" notes
row --- --- --- --- ---
[[ " $sections " == *" c "* ]] && table_rows c "C malloc+free" ns/pair "${c_configs[@]}"
if [[ " $sections " == *" py "* ]]; then
	for p in py311 pydeb; do
		table_rows "$p" "${pyname[$p]}" µs/iter "${py_configs[@]}"
	done
fi
if [[ " $sections " == *" report "* ]]; then
	if [ -n "${why_skip[report]:-}" ]; then
		row "report, $n_report outstanding" leaktrace "${why_skip[report]}" - ""
	elif [ -n "$report_cpu" ]; then
		row "report, $n_report outstanding" "leaktrace (final report, text + JSON)" \
			"$report_cpu s CPU, $((report_rss / 1024)) MiB peak RSS" - \
			"$report_note; runs: ${runs[report]% }"
	else
		row "report, $n_report outstanding" leaktrace "every run failed" - ""
	fi
fi

# ---- the targets of issue 5 ----
echo
target() { # met? text
	printf '%-7s %s\n' "$([ "$1" = 1 ] && echo met || echo MISSED)" "$2"
}
if [ -n "${med[c:exact]:-}" ] && [ -n "${med[c:bpftrace]:-}" ] && [ -n "${med[c:untraced]:-}" ]; then
	read -r ok text < <(awk -v a="${med[c:exact]}" -v b="${med[c:bpftrace]}" \
		-v u="${med[c:untraced]}" 'BEGIN { ea = a - u; eb = b - u
		printf "%d exact tracing cost per pair <= 1/10 of bpftrace memleak: %.0f vs %.0f ns (1/%.1f)\n",
			ea * 10 <= eb, ea, eb, eb / ea }')
	target "$ok" "$text"
fi
# issue 15's
if [ -n "${med[c:exact]:-}" ] && [ -n "${med[c:floor]:-}" ]; then
	target "$(awk -v a="${med[c:exact]}" -v b="${med[c:floor]}" 'BEGIN { print a <= b * 1.25 }')" \
		"exact <= 1.25x the bare cost of its probes: $(ratio "${med[c:exact]}" "${med[c:floor]}") (${med[c:exact]} vs ${med[c:floor]} ns/pair)"
fi
if [ -n "${med[c:filtered]:-}" ] && [ -n "${med[c:untraced]:-}" ]; then
	target "$(awk -v a="${med[c:filtered]}" -v b="${med[c:untraced]}" 'BEGIN { print a <= b * 1.02 }')" \
		"a process -a's filter leaves out <= 1.02x: $(ratio "${med[c:filtered]}" "${med[c:untraced]}")"
fi
for p in py311 pydeb; do
	if [ -z "${med[$p:lite]:-}" ] || [ -z "${med[$p:untraced]:-}" ]; then
		continue
	fi
	ok=$(awk -v a="${med[$p:lite]}" -v b="${med[$p:untraced]}" 'BEGIN { print a <= b * 1.05 }')
	named=$(leak_summary "${verdicts[$p:lite]:-}")
	[[ "$named" == "names leak line: yes"* ]] || ok=0
	target "$ok" "lite <= 1.05x on ${pyname[$p]}: $(ratio "${med[$p:lite]}" "${med[$p:untraced]}"), $named"
done
if [ -n "$report_cpu" ]; then
	target "$(awk -v c="$report_cpu" 'BEGIN { print c < 1 }')" \
		"report over $n_report outstanding allocations < 1 s of tracer CPU: $report_cpu s"
fi
exit "$failed"
