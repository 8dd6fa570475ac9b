#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Includes point one way: user/'s rooms (foo.c with foo.h) must not include
each other in a loop. Prints "PASS layers/no_include_cycle" or a FAIL line
naming the loop, file by file."""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USER = os.path.join(ROOT, "user")


def rooms():
    """{room: {rooms it includes}}: foo.c and foo.h are one room, foo."""
    names = {os.path.splitext(f)[0] for f in os.listdir(USER) if f.endswith((".c", ".h"))}
    edges = {n: set() for n in names}
    for f in sorted(os.listdir(USER)):
        if not f.endswith((".c", ".h")):
            continue
        room = os.path.splitext(f)[0]
        with open(os.path.join(USER, f), errors="replace") as fh:
            for m in re.finditer(r'^#include "([^"/]+)\.h"', fh.read(), re.M):
                if m.group(1) in names and m.group(1) != room:
                    edges[room].add(m.group(1))
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
