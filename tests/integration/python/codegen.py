# SPDX-License-Identifier: MIT
"""Hostile to the tracer's code-object cache: a new code object for every
request (exec() of generated source, as template engines and plugin loaders
do), each keeping a little, beside a steady leak on the marked line. Runs
for DURATION seconds."""

import time

import prog

DURATION = 4.0
KEEP = []
LOG = []


def handle(i):
    ns = {}
    exec(compile(f"def handler_{i}(keep):\n    keep.append(bytearray(64))\n",
                 f"<generated {i}>", "exec"), ns)
    ns[f"handler_{i}"](KEEP)
    LOG.append(bytearray(600))  # LEAK:codegen


def leak():
    end = time.monotonic() + DURATION
    n = 0
    while time.monotonic() < end:
        for _ in range(40):
            handle(n)
            n += 1
        time.sleep(0.01)
    return n


if __name__ == "__main__":
    prog.run(leak)
