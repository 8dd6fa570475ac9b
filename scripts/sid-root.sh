#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian unstable root with python3.14 and python3.15 (see debian-root.sh).
exec "$(dirname "$0")/debian-root.sh" sid
