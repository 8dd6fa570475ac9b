# SPDX-License-Identifier: MIT
"""Lite mode, pattern (a): a loop that churns through many small objects
(pymalloc's: lite mode does not trace them) and leaks one 4 KiB bytes object
per round (libc's) into a global list. Runs for DURATION seconds so that the
growth spans several reports."""

import time

import prog

DURATION = 6.0
ARCHIVE = []


def churn(n):
    # short-lived small objects: tuples, str, float, a small dict (< 512 B)
    rows = [(j, str(j + n), j * 0.5) for j in range(20)]
    index = {r[1]: r for r in rows}
    return len(index)


def archive(n):
    ARCHIVE.append(bytes(4000) + n.to_bytes(4, "little"))  # LEAK:lite_big


def leak():
    end = time.monotonic() + DURATION
    n = 0
    while time.monotonic() < end:
        for _ in range(40):
            churn(n)
        archive(n)
        n += 1
        time.sleep(0.0005)
    return n


if __name__ == "__main__":
    prog.run(leak)
