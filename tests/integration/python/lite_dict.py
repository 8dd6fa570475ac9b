# SPDX-License-Identifier: MIT
"""Lite mode, pattern (b): small objects leak into a dict that only grows.
Each entry is a small tuple (pymalloc's, unseen in lite mode); what lite mode
sees is the dict's backing table, reallocated through libc each time the
dict doubles, always from the marked line. Runs for DURATION seconds."""

import time

import prog

DURATION = 6.0
SEEN = {}


def remember(key):
    SEEN[key] = (key, -key)  # LEAK:lite_dict


def leak():
    end = time.monotonic() + DURATION
    key = 0
    while time.monotonic() < end:
        for _ in range(3000):
            remember(key)
            key += 1
        # unrelated short-lived small objects
        scratch = [str(i) for i in range(50)]
        del scratch
        time.sleep(0.04)
    return key


if __name__ == "__main__":
    prog.run(leak)
