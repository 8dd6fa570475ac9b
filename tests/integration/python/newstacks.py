# SPDX-License-Identifier: MIT
"""More new Python stacks at once than the tracer's notice ring holds:
STACKS calls that each go down DEPTH levels of down(), choosing one of 8
call lines per level by the bits of i, and make a bytearray of SIZE + i
bytes there: a stack of its own per i, readable back from its lines. Only
the last KEPT are kept: reports list the stacks that hold memory, and the
tests' harness parses them. Then LATE functions compiled one by one, code
objects no stack named before, each called once to keep LATE_SIZE + j
bytes; then a leak on the marked line. leaktrace is held (SIGSTOP) meanwhile, so the ring
fills and the later stacks go unsignalled: the late ones' code objects are
read only if leaktrace catches up by itself."""

import prog

STACKS = 16000
DEPTH = 5  # 8 ** 5 paths
SIZE = 1000
LEAKS = 200
LEAK_SIZE = 40000
LATE = 32
LATE_SIZE = 30000
KEPT = 1000
KEEP = [None] * STACKS  # no list growth on the lines under test
LATE_KEEP = [None] * LATE
LATE_FUNCS = {}  # their code objects stay alive
LOG = []


def down(i, d):
    if d == DEPTH:
        KEEP[i] = bytearray(SIZE + i)
        if i < STACKS - KEPT:
            KEEP[i] = None
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
    for j in range(LATE):
        # late<j> at line j + 2 of "<late j>": no two alike
        exec(compile("\n" * j + f"def late{j}(keep):\n    keep[{j}] = bytearray({LATE_SIZE + j})\n",
                     f"<late {j}>", "exec"), LATE_FUNCS)
        LATE_FUNCS[f"late{j}"](LATE_KEEP)
    for _ in range(LEAKS):
        LOG.append(bytearray(LEAK_SIZE))  # LEAK:newstacks
    return LEAKS


if __name__ == "__main__":
    prog.run(leak)
