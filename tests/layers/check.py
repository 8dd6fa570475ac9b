#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Includes point one way: user/'s rooms (foo.c with foo.h, and foo_int.h,
its insides shared by foo's files) must not include each other in a loop.
Prints "PASS layers/no_include_cycle" or a FAIL line naming the loop."""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USER = os.path.join(ROOT, "user")


def room_of(name):
    return name[:-4] if name.endswith("_int") else name


def rooms():
    """{room: {rooms it includes}}: foo.c, foo.h and foo_int.h are one room."""
    names = {room_of(os.path.splitext(f)[0]) for f in os.listdir(USER)
             if f.endswith((".c", ".h"))}
    edges = {n: set() for n in names}
    for f in sorted(os.listdir(USER)):
        if not f.endswith((".c", ".h")):
            continue
        room = room_of(os.path.splitext(f)[0])
        with open(os.path.join(USER, f), errors="replace") as fh:
            for m in re.finditer(r'^#include "([^"/]+)\.h"', fh.read(), re.M):
                dep = room_of(m.group(1))
                if dep in names and dep != room:
                    edges[room].add(dep)
    return edges


def find_cycle(edges):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


def main():
    cycle = find_cycle(rooms())
    if cycle:
        print("FAIL layers/no_include_cycle: " + " -> ".join(cycle))
        return 1
    print("PASS layers/no_include_cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
