# SPDX-License-Identifier: MIT
"""Lite mode, pattern (a): a loop that churns through many small objects
(pymalloc's: lite mode does not trace them) and leaks one 4 KiB bytes object
per round (libc's) into a global list. Runs for DURATION seconds so that the
growth spans several reports. The churn is heavy enough that the libc calls
stay under lite mode's default 5% budget (test_lite_budget thins)."""

import time

import prog

DURATION = 6.0
ARCHIVE = []


def churn(n):
    # short-lived small objects: tuples, str, float, a small dict (< 512 B on
    # every version: 10 entries, 16 slots)
    rows = [(j, str(j + n), j * 0.5) for j in range(10)]
    index = {r[1]: r for r in rows}
    return len(index)


def archive(n):
    ARCHIVE.append(n.to_bytes(4, "little") * 1001)  # LEAK:lite_big


def leak():
    end = time.monotonic() + DURATION
    n = 0
    while time.monotonic() < end:
        for _ in range(100):
            churn(n)
        archive(n)
        n += 1
        time.sleep(0.0005)
    return n


if __name__ == "__main__":
    prog.run(leak)
