#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian 12 root of the package test (see debian-root.sh).
exec "$(dirname "$0")/debian-root.sh" bookworm
