#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Usage: tests/fuzz/run.sh SECONDS
# Runs each libFuzzer target for its share of SECONDS on a scratch copy of its seeds
# and prints one line per target, counted by tests/run.sh:
#   PASS fuzz/fuzz_procmaps
#   FAIL fuzz/fuzz_elfsym: heap-buffer-overflow (build/artifacts/fuzz_elfsym-crash-...)
# Crash inputs are kept in build/artifacts/; logs in build/logs/.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-40}
targets=(fuzz_procmaps fuzz_elfsym fuzz_pyline fuzz_pydbg)
per=$((secs / ${#targets[@]}))
[ "$per" -ge 1 ] || per=1

# Build (quietly) if `make fuzz` has not: a missing binary is a failure.
mkdir -p build/artifacts build/logs
make -s >build/logs/build.log 2>&1 || true
fails=0

reason() { # log -> short cause
	local r
	r=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z-]+' "$1" |
		sed -E 's/ERROR: [A-Za-z]+: //')
	[ -n "$r" ] || r=$(grep -m1 -oE 'runtime error: .*' "$1" | cut -c1-100)
	[ -n "$r" ] || r=$(grep -m1 -oE 'deadly signal|out-of-memory|timeout' "$1")
	echo "${r:-exited $2}"
}

for t in "${targets[@]}"; do
	bin=build/$t
	name=${t}
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$name: not built (see tests/fuzz/build/logs/build.log)"
		fails=$((fails + 1))
		continue
	fi
	corpus=build/corpus/$t
	rm -rf "$corpus"
	mkdir -p "$corpus"
	seeds=seeds/${t#fuzz_}
	[ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
	[ -d "build/$seeds" ] && cp -r "build/$seeds"/. "$corpus"/
	rm -f "$corpus"/.stamp
	log=build/logs/$t.log
	extra=()
	# Lines longer than the reader's 4 KiB+ limit must be reachable.
	[ "$t" = fuzz_procmaps ] && extra=(-max_len=20000)
	"$bin" "${extra[@]}" -max_total_time="$per" -rss_limit_mb=2048 -timeout=20 \
		-artifact_prefix="build/artifacts/$t-" -print_final_stats=1 "$corpus" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS fuzz/$name"
	else
		art=$(grep -m1 -oE "build/artifacts/$t-[a-z]+-[0-9a-f]+" "$log")
		echo "FAIL fuzz/$name: $(reason "$log" "$rc")${art:+ ($art)}"
		tail -n 30 "$log" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
