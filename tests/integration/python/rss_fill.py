# SPDX-License-Identifier: MIT
"""--rss: two lines each fill 8 MiB of fresh memory, which --rss must charge
to that line: a bytearray repeat (memset) and a list repeat (pointer stores),
both in blocks large enough for malloc to mmap. A third line makes and drops
an 8 MiB bytes object: its pages are unmapped again and must not stay
charged. Not an oracle pattern (tracemalloc does not see page faults)."""

import prog

SIZE = 8 << 20
kept = []


def fill():
    kept.append(bytearray(b"\x01") * SIZE)  # LEAK:rss_bytearray
    kept.append([None] * (SIZE // 8))  # LEAK:rss_list
    tmp = b"\x02" * SIZE  # LEAK:rss_dropped
    del tmp
    return 2


prog.run(fill)
