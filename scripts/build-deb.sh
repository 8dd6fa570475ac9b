#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make deb`: builds the Debian package with dpkg-buildpackage over debian/, in a copy of the
# tree under OUTDIR (dpkg-buildpackage writes its results to the source's parent), then runs
# lintian on it and fails on any error or warning (--no-lint: not). Installs the
# Build-Depends and lintian with apt first when they are missing (root). The .deb lands in
# OUTDIR, and is copied into COPY_TO if given; prints its path.
#   scripts/build-deb.sh [--no-lint] OUTDIR [COPY_TO]
set -euo pipefail
lint=1
if [ "${1:-}" = --no-lint ]; then
	lint=
	shift
fi
out=$(realpath -m "${1:?usage: build-deb.sh [--no-lint] OUTDIR [COPY_TO]}")
copy_to=${2:+$(realpath "$2")}
cd "$(dirname "$0")/.."
version=$(sed -n '1s/^leaktrace (\([^)]*\)).*/\1/p' debian/changelog)
arch=$(dpkg --print-architecture)
deb=leaktrace_${version}_${arch}.deb

if ! dpkg-checkbuilddeps >/dev/null 2>&1 || { [ -n "$lint" ] && ! command -v lintian >/dev/null; }; then
	if [ "$(id -u)" -ne 0 ]; then
		dpkg-checkbuilddeps || true
		echo "build-deb: build dependencies or lintian missing; run as root to install" >&2
		exit 1
	fi
	echo "build-deb: installing the build dependencies and lintian" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends build-essential dpkg-dev fakeroot lintian >&2
	apt-get build-dep -y -qq ./ >&2
fi

src=$out/leaktrace-$version
# this script's own results only: OUTDIR may hold other things
rm -rf "$src" "$out"/leaktrace_"$version"_* "$out"/leaktrace-dbgsym_"$version"_* "$out/build.log"
mkdir -p "$src"
# the tree as git sees it (tracked and new files, nothing ignored: no build output)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./.output --exclude='./leaktrace_*' -cf - . | tar -xf - -C "$src"
fi
(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
rm -rf "$src"
if [ -n "$lint" ]; then
	scripts/lint-deb.sh "$out/$deb" >&2
fi
if [ -n "$copy_to" ]; then
	cp "$out/$deb" "$copy_to/$deb"
	echo "$copy_to/$deb"
else
	echo "$out/$deb"
fi
