#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The _Py_DebugOffsets reader against the headers of the very builds it reads:
# tests/pydbg/probe.c compiled with each CPython's own headers (pyenv's 3.13;
# Debian unstable's 3.14 and 3.15 from libpython3.X-dev in the root of
# scripts/sid-root.sh) reads that CPython's table and compares. One
# PASS/FAIL line per interpreter (tests/run.sh counts them).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=.output/pydbg
mkdir -p "$out"
make -s .output/user/py_debug_offsets.o || { echo "FAIL pydbg/build: the reader"; exit 1; }
rc=0
# probe NAME BINARY INCLUDE-DIRS...
probe() {
	local name=$1 bin=$2 inc=()
	shift 2
	for d in "$@"; do inc+=(-I"$d"); done
	if ! gcc -O0 -w "${inc[@]}" -Iuser tests/pydbg/probe.c .output/user/py_debug_offsets.o \
		-lelf -o "$out/$name" 2>"$out/$name.log"; then
		echo "FAIL pydbg/$name: probe does not build: $(tail -3 "$out/$name.log")"
		rc=1
		return
	fi
	"$out/$name" "$bin" "pydbg/$name" || rc=1
}
pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-/root/.pyenv}")
v313=$(printf '%s\n' "$pyenv_root"/versions/3.13.[0-9]* 2>/dev/null | sort -V | tail -1)
if [ -d "$v313/include/python3.13/internal" ]; then
	probe 3.13 "$v313/lib/libpython3.13.so.1.0" "$v313/include/python3.13"
else
	echo "SKIP pydbg/3.13: no pyenv CPython 3.13 with headers under $pyenv_root"
fi
if ! root=$(scripts/sid-root.sh); then
	echo "FAIL pydbg/sid: scripts/sid-root.sh could not build Debian unstable's root"
	exit 1
fi
for v in 3.14 3.15; do
	# Debian's pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>:
	# found through a directory of our own, not the root's whole /usr/include
	# (whose glibc headers are newer than ours)
	mkdir -p "$out/inc/x86_64-linux-gnu"
	ln -sfn "$root/usr/include/x86_64-linux-gnu/python$v" "$out/inc/x86_64-linux-gnu/python$v"
	probe "$v" "$root/usr/bin/python$v" "$root/usr/include/python$v" "$out/inc"
done
exit $rc
