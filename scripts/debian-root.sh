#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds (once) a minimal Debian root for the tests, cached outside the checkout, and prints
# its path:
#   scripts/debian-root.sh sid       Debian unstable with python3.14 and python3.15 (and their
#                                    -dev headers: the debug-offsets reader's oracle), for the
#                                    tests of current CPython in another root ($LT_SID_ROOT,
#                                    default /var/cache/leaktrace/sid)
#   scripts/debian-root.sh bookworm  Debian 12 with man-db, for the package test, which installs
#                                    into a copy ($LT_BOOKWORM_ROOT, /var/cache/leaktrace/bookworm)
# A few minutes the first time (debootstrap --variant=minbase from Debian's mirror).
set -euo pipefail
suite=${1:-}
case "$suite" in
sid)
	root=${LT_SID_ROOT:-/var/cache/leaktrace/sid}
	pkgs="python3.14 python3.15 libpython3.14-dev libpython3.15-dev"
	;;
bookworm)
	root=${LT_BOOKWORM_ROOT:-/var/cache/leaktrace/bookworm}
	pkgs="man-db"
	;;
*)
	echo "usage: $0 sid|bookworm" >&2
	exit 2
	;;
esac
ready() { [ -f "$root/.leaktrace-ready" ]; }
if ready; then echo "$root"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
	echo "debian-root: building $root needs root" >&2
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
	echo "debian-root: debootstrap $suite into $root (a few minutes, once)" >&2
	debootstrap --variant=minbase "$suite" "$root" ${mirror:+"$mirror"} >&2
	touch "$root/.leaktrace-base"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# the mirror's Release may be older than its Valid-Until on a machine whose clock is ahead
apt=(chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false)
"${apt[@]}" update -qq >&2
# shellcheck disable=SC2086
"${apt[@]}" install -y -qq --no-install-recommends $pkgs >&2
"${apt[@]}" clean
touch "$root/.leaktrace-ready"
echo "$root"
