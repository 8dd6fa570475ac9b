# SPDX-License-Identifier: MIT
"""Unclosed files: every call opens a log file and keeps the object, never
closing it, so one descriptor per call stays open (--fds)."""

import os
import tempfile

import prog

COUNT = 40
DIR = tempfile.mkdtemp(prefix="leaktrace-fds-")
HANDLES = []


def open_log(i):
    return open(os.path.join(DIR, f"log{i}"), "w")  # LEAK:fds_files


def leak():
    for i in range(COUNT):
        HANDLES.append(open_log(i))
    return COUNT


if __name__ == "__main__":
    prog.run(leak)
