#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every suite; each prints "PASS name", "FAIL name[: why]" or
# "SKIP name: why" lines. Ends with the plain "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # name, command...
	local name=$1 rc out
	shift
	echo "== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	cat "$out" >>"$log"
	# a suite that failed without saying which test did still counts
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL" "$out"; then
		echo "FAIL $name: exited $rc" | tee -a "$log"
	fi
	rm -f "$out"
}

run unit tests/unit/unit_tests
# includes point one way: no loop among user/'s rooms
run layers python3 tests/layers/check.py
run py_offsets scripts/gen-py-offsets.sh --check
# the _Py_DebugOffsets reader against the headers of 3.13, 3.14 and 3.15
run pydbg tests/pydbg/check.sh
# deploy/: the systemd unit, the DaemonSet and the Dockerfile, checked, not deployed
run deploy python3 tests/deploy/check.py
# make install, make deb + lintian, and the package installed into a fresh Debian 12 root
run package tests/package/check.sh
run fuzz tests/fuzz/run.sh "${LT_FUZZ_SECONDS:-40}"
# the exports read by real clients: speedscope (npm) in headless Chromium
run exports tests/exports/check.sh
if [ "$(id -u)" -eq 0 ]; then
	run integration python3 tests/integration/run.py
else
	echo "SKIP integration: needs root" | tee -a "$log"
fi

p=$(grep -c '^PASS' "$log")
f=$(grep -c '^FAIL' "$log")
s=$(grep -c '^SKIP' "$log")
echo
grep '^FAIL' "$log" || true
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
