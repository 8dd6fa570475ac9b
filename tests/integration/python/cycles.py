# SPDX-License-Identifier: MIT
"""Reference cycles of objects with __del__, with the collector off: each
Session owns a Handler that refers back to it, and open_session() drops the
pair at once. Refcounting never frees a cycle and gc.disable() keeps the
collector from finding it, so every pair leaks, with the 2 KiB buffer each
Session allocates on the marked line.

One Session per call of one line, so all the buffers share one stack. Two
nodes made by two calls ("a = Node(i)", "b = Node(i)") would split the leak
in two stacks that differ in the caller's line. And without the buffer the
leak is the instances alone, which tracemalloc blames on different lines per
version: the first attribute store in __init__ on 3.8-3.10 (the instance
__dict__), the constructor call in the caller on 3.11+ (inline values)."""

import gc

import prog

gc.disable()

SESSIONS = 1000
BUFFER = 2048


class Session:
    def __init__(self, sid):
        self.sid = sid
        self.buffer = bytearray(BUFFER)  # LEAK:cycles
        self.handler = Handler(self)

    def __del__(self):
        self.buffer = None  # never runs: nothing collects the cycle


class Handler:
    def __init__(self, session):
        self.session = session  # the reference back that closes the cycle

    def __del__(self):
        self.session = None


def open_session(sid):
    Session(sid)  # unreachable at once, but Session and Handler hold each other


def leak():
    for sid in range(SESSIONS):
        open_session(sid)
    return SESSIONS


if __name__ == "__main__":
    prog.run(leak)
