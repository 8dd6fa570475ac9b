# SPDX-License-Identifier: MIT
"""A closure that keeps a large enclosing scope alive: make_handler allocates
an 8 KiB scratch buffer and returns a lambda that refers to it, so every
handler kept in HANDLERS pins its own buffer. The buffer is allocated on the
marked line; the lambda and its cells are small and made elsewhere.

The buffer is a bytearray, not a list built by a comprehension: on 3.8-3.11 a
comprehension runs in its own <listcomp> frame, inlined since 3.12 (PEP 709),
so the innermost function would depend on the version."""

import prog

HANDLERS = []


def install_handlers(count, size):
    def make_handler(tag):
        scratch = bytearray(size)  # LEAK:closure
        return lambda request: (tag, len(scratch), request)

    for tag in range(count):
        HANDLERS.append(make_handler(tag))
    return count


def leak():
    return install_handlers(200, 8192)


if __name__ == "__main__":
    prog.run(leak)
