#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds (once) a minimal Debian 12 root with man-db in it, for the package test: the .deb is
# installed into a copy of it (tests/package/check.sh), so the cache itself stays clean.
# Cached outside the checkout: $LT_BOOKWORM_ROOT, default /var/cache/leaktrace/bookworm.
# Prints the root's path.
set -euo pipefail
root=${LT_BOOKWORM_ROOT:-/var/cache/leaktrace/bookworm}
ready() { [ -f "$root/.leaktrace-ready" ]; }
if ready; then echo "$root"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
	echo "bookworm-root: building $root needs root" >&2
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
	rm -rf --one-file-system "$root"
	echo "bookworm-root: debootstrap bookworm into $root (a few minutes, once)" >&2
	debootstrap --variant=minbase bookworm "$root" ${mirror:+"$mirror"} >&2
	touch "$root/.leaktrace-base"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# the mirror's Release may be older than its Valid-Until on a machine whose clock is ahead
apt=(chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false)
"${apt[@]}" update -qq >&2
# the test asks man-db (man -w) for the installed page
"${apt[@]}" install -y -qq --no-install-recommends man-db >&2
"${apt[@]}" clean
touch "$root/.leaktrace-ready"
echo "$root"
