#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what building, running, testing and benchmarking leaktrace need.
# Idempotent: does nothing (and needs no network) when everything is present.
set -euo pipefail
pkgs=(
	make clang llvm gcc pkg-config        # build: clang for BPF, gcc/clang for userspace
	libbpf-dev bpftool                    # libbpf 1.1 + skeleton generator
	libelf-dev libdw-dev zlib1g-dev       # ELF symbols, DWARF lines
	libiberty-dev                         # C++ and Rust names demangled
	libcapstone-dev                       # probe placement (instruction decoding)
	libncurses-dev                        # --live view
	tmux                                  # live view test (drives the terminal)
	chromium                              # exports test: speedscope and the flame graph, headless
	nodejs                                # exports test: npm installs speedscope (the image has npm)
	libclang-rt-14-dev                    # libFuzzer + ASan for the fuzz targets
	python3                               # integration test runner
	bpftrace                              # benchmark baseline (bench/)
	heaptrack                             # benchmark baseline (bench/): LD_PRELOAD tracer
	golang-go                             # `go tool pprof` reads back the pprof export (unit tests)
	libcurl4-openssl-dev                  # continuous mode: --push to Pyroscope
	systemd python3-yaml                  # deploy check: systemd-analyze verify, the DaemonSet's YAML
	dpkg-dev debhelper lintian            # make deb and the package test: dpkg-buildpackage, lintian
	debootstrap bash-completion           # package test: a Debian 12 root; the completion driven
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root (sudo $0)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
