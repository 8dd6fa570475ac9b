# SPDX-License-Identifier: MIT
"""More new Python stacks at once than the tracer's notice ring holds:
STACKS calls that each go down DEPTH levels of down(), choosing one of 8
call lines per level by the bits of i, and keep a bytearray of SIZE + i
bytes there: a stack of its own per i, readable back from its lines, the
latest the largest. Then a leak on the marked line. leaktrace is held
(SIGSTOP) meanwhile, so the ring fills and the later stacks, the leak's
among them, go unsignalled."""

import prog

STACKS = 16000
DEPTH = 5  # 8 ** 5 paths
SIZE = 1000
LEAKS = 200
LEAK_SIZE = 40000
KEEP = [None] * STACKS  # no list growth on the lines under test
LOG = []


def down(i, d):
    if d == DEPTH:
        KEEP[i] = bytearray(SIZE + i)
        return
    b = i >> (3 * d) & 7
    if b == 0:
        down(i, d + 1)  # BRANCH:0
    elif b == 1:
        down(i, d + 1)
    elif b == 2:
        down(i, d + 1)
    elif b == 3:
        down(i, d + 1)
    elif b == 4:
        down(i, d + 1)
    elif b == 5:
        down(i, d + 1)
    elif b == 6:
        down(i, d + 1)
    else:
        down(i, d + 1)


def leak():
    for i in range(STACKS):
        down(i, 0)
    for _ in range(LEAKS):
        LOG.append(bytearray(LEAK_SIZE))  # LEAK:newstacks
    return LEAKS


if __name__ == "__main__":
    prog.run(leak)
