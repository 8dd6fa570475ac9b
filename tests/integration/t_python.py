# SPDX-License-Identifier: MIT
"""CPython 3.8-3.13 (pyenv) and Debian's /usr/bin/python3: one test per
leak pattern and interpreter, and tracemalloc as the oracle."""

import os
import re
import subprocess

import harness
from harness import Fail, PYDIR, ROOT, Skip, add_test, tail, vprint
from targets import (DEBIAN_PYTHON, PY_ATTACH_DURATION, PY_MINORS, PY_PATTERNS, py_info,
                     py_prog_env, pyenv_python)
from checks import (ORACLE_LINE, check_python_report, leaked_count, marker, need_python_frames,
                    validate)

# python/ holds one program per leak pattern, each leaking on a line marked
# "# LEAK:<pattern>" (python/README.md). Three kinds of tests:
#
#   python_<pattern>_<3.X>   attach mode: the program under the newest pyenv
#                            CPython 3.X, leaktrace -p for PY_ATTACH_DURATION s
#   python_debian_<pattern>  launch mode: leaktrace --python-malloc=libc --
#                            /usr/bin/python3 (Debian's static, LTO build)
#   python_oracle_<3.X|debian>  no leaktrace: tracemalloc, as the oracle, must
#                            blame each marked line too, by a clear margin
#
# The top suspect is the stack with the most bytes whose innermost Python frame
# is in the program itself: stacks whose innermost Python frame is in the
# standard library or in the harness (python/prog.py), or that have none, are
# the interpreter's own. Its innermost Python frame must sit at the marker, its
# Python frames must be the expected functions (co_qualname on 3.11+, co_name
# before) up to the harness's run() and <module>, and it must hold at least
# half as many allocations as the program says it leaked there. For the C
# extension a native frame of leakext_hoard in leakext*.so must come before
# the Python frames. Where the oracle test of an interpreter passes and a
# leaktrace test fails, the fault is leaktrace's: the program does leak at its
# marker, as CPython itself sees it.

PY_ORACLE_MARGIN = 4  # the marker must hold this many times the next line's bytes


def check_python_attach(c, pattern, minor):
    """python3.X prog.py -w, then leaktrace -p, like start_target() and attach()."""
    python = pyenv_python(minor)
    env = py_prog_env(c, python, pattern)
    t = c.spawn([python, os.path.join(PYDIR, pattern + ".py"), "-w"], env=env)
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"{pattern}.py under {python} never got ready: {tail(t.err.text)}")
    rep = c.attach(t, duration=PY_ATTACH_DURATION)
    need_python_frames(rep, python)
    check_python_report(rep, python, pattern, leaked_count(t.out.text, f"{pattern}.py"))
    validate(rep, comm=os.path.basename(python), pid=t.pid, python=True)


def check_python_launch(c, pattern, finalize=False):
    """leaktrace --python-malloc=libc -- /usr/bin/python3 prog.py: the program
    leaks at once and leaves with os._exit(0), skipping finalization."""
    python = DEBIAN_PYTHON
    if not os.access(python, os.X_OK):
        raise Skip(f"no {python}")
    env = py_prog_env(c, python, pattern, **({"LEAK_FINALIZE": "1"} if finalize else {}))
    path = os.path.join(c.tmp, "report.json")
    rc, out, err = c.leaktrace(["--python-malloc=libc", "-t", "1000", "--json", path, "--",
                                python, os.path.join(PYDIR, pattern + ".py")], 40, env=env)
    if rc != 0:
        hint = " (no --python-malloc option yet?)" if "python-malloc" in err else ""
        raise Fail(f"leaktrace exited {rc}, want 0{hint}; stderr: {tail(err)}")
    if not re.search(r"(?m)^start \S+ PYTHONMALLOC=malloc$", out):
        got = re.search(r"(?m)^start .*$", out)
        raise Fail("--python-malloc=libc did not run the program with PYTHONMALLOC=malloc: "
                   + (got.group(0) if got else f"no 'start' line: {tail(out)}"))
    rep = c.report(path, rc, err)
    need_python_frames(rep, python)
    check_python_report(rep, python, pattern, leaked_count(out, f"{pattern}.py"))
    validate(rep, comm=os.path.basename(python), python=True)
    ex = rep.get("exit")
    if finalize and not (ex and ex.get("frees_after", 0) >= leaked_count(out, pattern)):
        raise Fail(f"exit={ex!r}: the report does not say it was taken as finalization "
                   "began, with the frees that followed")
    if finalize and "exit: began at" not in out:
        raise Fail(f"the text report does not say when the exit began: {tail(out)}")


def check_oracle(c, python, **extra):
    """Every program under tracemalloc (PYTHON_LEAK_ORACLE=1): the line holding
    the most bytes must be its marker, with PY_ORACLE_MARGIN times the next."""
    wrong = []
    for pattern in PY_PATTERNS:
        env = py_prog_env(c, python, pattern, PYTHON_LEAK_ORACLE="1", **extra)
        src = pattern + ".py"
        argv = [python, os.path.join(PYDIR, src)]
        if harness.VERBOSE:
            vprint("$ PYTHON_LEAK_ORACLE=1 " + " ".join(argv))
        p = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        m = ORACLE_LINE.search(p.stdout)
        if p.returncode or not m:
            wrong.append(f"{src}: exit {p.returncode}, no oracle line: {tail(p.stdout + p.stderr)}")
            continue
        if harness.VERBOSE:
            vprint(m.group(0))
        fname, line = marker(src, pattern)
        top, nbytes = f"{m.group(1)}:{m.group(2)}", int(m.group(3))
        if top != f"{fname}:{line}":
            wrong.append(f"tracemalloc blames {top} ({nbytes} B), the marker is {fname}:{line}")
        elif m.group(4) and nbytes < PY_ORACLE_MARGIN * int(m.group(6)):
            wrong.append(f"{top} holds {nbytes} B, {m.group(4)}:{m.group(5)} {m.group(6)} B: "
                         f"under {PY_ORACLE_MARGIN}x")
    if wrong:
        vs = ".".join(map(str, py_info(python)["version"]))
        raise Fail(f"CPython {vs}: " + "; ".join(wrong))


for _minor in PY_MINORS:
    add_test(f"python_oracle_{_minor}", lambda c, m=_minor: check_oracle(c, pyenv_python(m)), 90)
    for _pattern in PY_PATTERNS:
        add_test(f"python_{_pattern}_{_minor}",
                 lambda c, p=_pattern, m=_minor: check_python_attach(c, p, m))


def check_oracle_debian(c):
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        raise Skip(f"no {DEBIAN_PYTHON}")
    check_oracle(c, DEBIAN_PYTHON, PYTHONMALLOC="malloc")  # as in launch mode


add_test("python_oracle_debian", check_oracle_debian, 90)
for _pattern in PY_PATTERNS:
    add_test(f"python_debian_{_pattern}", lambda c, p=_pattern: check_python_launch(c, p), 60)
# the program exits normally: its finalization frees the leak after the final
# report's figures were taken
add_test("python_debian_finalize", lambda c: check_python_launch(c, "event_log", True), 60)
