# SPDX-License-Identifier: MIT
"""A hostile target for the text report: it names itself (prctl
PR_SET_NAME) and its leaking function (code.replace) with terminal control
sequences, an OSC that would retitle the window and a colour change ended by
BEL. The leak: 1000 fresh 1 KiB bytes objects kept in a list."""

import ctypes

import prog

EVIL_COMM = b"ev\x1b[31mil\x07"
EVIL_NAME = "\x1b]0;pwned\x07hoard\x1b[2J"
KEPT = []


def hoard():
    for i in range(1000):
        KEPT.append(i.to_bytes(8, "little") * 128)  # LEAK:evil_names
    return 1000


hoard.__code__ = hoard.__code__.replace(co_name=EVIL_NAME, co_qualname=EVIL_NAME)


def leak():
    ctypes.CDLL(None).prctl(15, EVIL_COMM, 0, 0, 0)  # PR_SET_NAME
    return hoard()


if __name__ == "__main__":
    prog.run(leak)
