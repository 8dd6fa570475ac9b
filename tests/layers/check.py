#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Includes point one way: user/'s rooms (foo.c with foo.h, and foo_int.h,
its insides shared by foo's files) must not include each other in a loop.
And renderers and exporters read only a report's model (model.h, issue 17):
none of their files includes aggregate.h or a BPF skeleton, directly or
through a header of user/. Prints a PASS line for each rule, or a FAIL line
naming the loop or the file and the include chain."""

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


# The renderers and exporters (push: continuous mode's): they print the
# model, collect nothing.
RENDERERS = re.compile(r"^(report|report_sys|report_info|live|rss_report|profile|frames"
                       r"|exports?(_\w+)?|continuous|push|json|pb)\.[ch]$")
# The collect side: the aggregate, the skeletons, and what builds the model
# from them (report_ctx carries the skeleton).
FORBIDDEN = re.compile(r"^(aggregate\.h|\w+\.skel\.h|model_build\.h|stackframes\.h"
                       r"|sysmodel\.h|report_ctx\.h)$")


def includes(name):
    path = os.path.join(USER, name)
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as fh:
        return re.findall(r'^#include "([^"]+)"', fh.read(), re.M)


def forbidden_chain(name, seen):
    """The include chain from name to aggregate.h or a skeleton, or None."""
    for inc in includes(name):
        if FORBIDDEN.match(inc):
            return [name, inc]
        if inc not in seen:
            seen.add(inc)
            chain = forbidden_chain(inc, seen)
            if chain:
                return [name] + chain
    return None


def renderer_violations():
    bad = []
    for f in sorted(os.listdir(USER)):
        if RENDERERS.match(f):
            chain = forbidden_chain(f, set())
            if chain:
                bad.append(" -> ".join(chain))
    return bad


def main():
    rc = 0
    cycle = find_cycle(rooms())
    if cycle:
        print("FAIL layers/no_include_cycle: " + " -> ".join(cycle))
        rc = 1
    else:
        print("PASS layers/no_include_cycle")
    bad = renderer_violations()
    if bad:
        for b in bad:
            print("FAIL layers/renderers_read_the_model: " + b)
        rc = 1
    else:
        print("PASS layers/renderers_read_the_model")
    return rc


if __name__ == "__main__":
    sys.exit(main())
