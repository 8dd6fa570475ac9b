#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds (once) a Debian unstable root with python3.14 and python3.15 in it, for the tests of
# current CPython in another root (a chroot stands in for a container). Cached outside the
# checkout: $LT_SID_ROOT, default /var/cache/leaktrace/sid. Prints the root's path.
set -euo pipefail
root=${LT_SID_ROOT:-/var/cache/leaktrace/sid}
pys="python3.14 python3.15"
ready() { [ -f "$root/.leaktrace-ready" ]; }
if ready; then echo "$root"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
	echo "sid-root: building $root needs root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends debootstrap >&2
fi
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9
if ready; then echo "$root"; exit 0; fi
mirror=$(sed -n 's/^deb \(http[^ ]*\) bookworm main.*/\1/p' /etc/apt/sources.list \
	/etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ ! -f "$root/.leaktrace-base" ]; then
	# a half-made root from an interrupted run is made again
	rm -rf "$root"
	echo "sid-root: debootstrap sid into $root (a few minutes, once)" >&2
	debootstrap --variant=minbase sid "$root" ${mirror:+"$mirror"} >&2
	touch "$root/.leaktrace-base"
fi
# the mirror's Release may be older than its Valid-Until on a machine whose clock is ahead
apt=(chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false)
"${apt[@]}" update -qq >&2
# the -dev packages bring Debian's own headers of the same builds: the oracle the debug
# offsets reader is checked against
"${apt[@]}" install -y -qq --no-install-recommends $pys libpython3.14-dev libpython3.15-dev >&2
"${apt[@]}" clean
touch "$root/.leaktrace-ready"
echo "$root"
