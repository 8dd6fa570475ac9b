# SPDX-License-Identifier: MIT
"""Unclosed files and sockets (--fds) of Python programs."""

from harness import Fail, add_test
from targets import attach_python, pyenv_python
from checks import fd_stacks_at, leaked_count, marker


def check_fds(c, pattern, minor):
    python = pyenv_python(f"3.{minor}")
    t, rep = attach_python(c, python, pattern, opts=("--fds",))
    if "fds" not in rep:
        raise Fail("no 'fds' section in the report")
    src = pattern + ".py"
    got = fd_stacks_at(rep, src)
    if pattern == "fds_closed":
        if got:
            raise Fail(f"descriptors reported open at {got}, want none")
        return
    n = leaked_count(t.out.text, src)
    _, line = marker(src, pattern)
    if got.get(line) != n or len(got) != 1:
        raise Fail(f"open descriptors by line {got}, want {{{line}: {n}}}")
    if rep["fds"]["open"] < n:
        raise Fail(f"fds.open {rep['fds']['open']} < {n}")


for _pattern in ("fds_files", "fds_sockets", "fds_closed"):
    for _minor in (8, 13):
        add_test(f"python_{_pattern}_3.{_minor}",
                 lambda c, p=_pattern, m=_minor: check_fds(c, p, m), 60)
