# SPDX-License-Identifier: MIT
"""A C extension that leaks: leakext.hoard(n) mallocs n bytes and drops the
pointer (leakext.c). The report's stack is the C function in leakext*.so, then
the marked Python line that called it. The test builds leakext for the
interpreter under test and puts it on PYTHONPATH."""

import prog

try:
    import leakext
except ImportError as e:
    raise SystemExit(f"cext.py: {e}: build leakext.c for this interpreter, put it on PYTHONPATH")

BUFFERS = 200
SIZE = 8192


def fill_buffers(count):
    for _ in range(count):
        leakext.hoard(SIZE)  # LEAK:cext
    return count


def leak():
    return fill_buffers(BUFFERS)


if __name__ == "__main__":
    prog.run(leak)
