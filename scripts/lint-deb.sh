#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lintian at its default level (errors and warnings) on a .deb: prints what it says and fails
# on any of it. Run unprivileged where possible: lintian warns when run as root.
set -euo pipefail
deb=$(realpath "${1:?usage: lint-deb.sh FILE.deb}")
if [ "$(id -u)" -ne 0 ]; then
	exec lintian --fail-on error,warning "$deb"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
install -m 644 "$deb" "$tmp/"
chmod 755 "$tmp"
setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$tmp" \
	lintian --fail-on error,warning "$tmp/$(basename "$deb")"
