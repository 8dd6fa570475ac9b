# SPDX-License-Identifier: MIT
"""More kinds of GC objects than --objects' (type, line) table holds: the
reference cycles of cycles.py first (their leak, their Session and Handler
objects), then TYPES classes made at run time, one instance of each kept,
each a (type, line) pair of its own."""

import cycles
import prog

TYPES = 2000
KEEP = []


def leak():
    n = cycles.leak()
    for i in range(TYPES):
        KEEP.append(type(f"Kind{i}", (), {})())
    return n


if __name__ == "__main__":
    prog.run(leak)
