# SPDX-License-Identifier: MIT
"""Current CPython (3.14, 3.15) in another root, the Debian unstable root
of scripts/sid-root.sh: oracle, attach, launch, lite and --objects; and an
interpreter whose debug offsets leaktrace does not support.
"""

import os
import re
import shutil
import subprocess
import tempfile

from harness import Fail, PYDIR, add_test, tail, test
from targets import LITE_REPORT, PY_ATTACH_DURATION, py_env, sid_root
from checks import (ORACLE_LINE, check_objects_report, check_python_report, first_suspect,
                    leaked_count, marker, py_frames, stack_str, summary, validate)

# Debian unstable's python3.14 and python3.15 (static, stripped, LTO) in a root
# made by scripts/sid-root.sh (cached outside the checkout), run chrooted as a
# containerized service would be, traced from the host.

SID_MINORS = ("3.14", "3.15")
SID_PATTERNS = ("dict_cache", "closure", "event_log", "cycles")  # the seed leaks


class SidProgs:
    """The Python programs copied into the root for one test: .dir is their
    directory as the chrooted interpreter sees it."""

    def __init__(self, c):
        self.root = sid_root()
        self.host = tempfile.mkdtemp(prefix="leaktrace-it-", dir=os.path.join(self.root, "tmp"))
        c.extra_dirs.append(self.host)
        self.dir = "/" + os.path.relpath(self.host, self.root)
        for f in os.listdir(PYDIR):
            if f.endswith(".py"):
                shutil.copy(os.path.join(PYDIR, f), self.host)

    def argv(self, minor, pattern, *args):
        return ["chroot", self.root, "python" + minor, f"{self.dir}/{pattern}.py", *args]

    def version(self, minor):
        p = subprocess.run(["chroot", self.root, "python" + minor, "-c",
                            "import sys; print(*sys.version_info[:3])"],
                           capture_output=True, text=True, timeout=30)
        if p.returncode:
            raise Fail(f"python{minor} does not run in {self.root}: {tail(p.stderr)}")
        return tuple(int(x) for x in p.stdout.split())


def check_sid_oracle(c, minor):
    """tracemalloc inside the same interpreter ranks each seed leak's marker first."""
    sp = SidProgs(c)
    wrong = []
    for pattern in SID_PATTERNS:
        env = py_env(PYTHON_LEAK_ORACLE="1", PYTHONMALLOC="malloc")
        p = subprocess.run(sp.argv(minor, pattern), env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        m = ORACLE_LINE.search(p.stdout)
        fname, line = marker(pattern + ".py", pattern)
        if p.returncode or not m:
            wrong.append(f"{pattern}: exit {p.returncode}, no oracle line: {tail(p.stdout + p.stderr)}")
        elif f"{m.group(1)}:{m.group(2)}" != f"{fname}:{line}":
            wrong.append(f"tracemalloc blames {m.group(1)}:{m.group(2)}, the marker is {fname}:{line}")
    if wrong:
        raise Fail(f"python{minor}: " + "; ".join(wrong))


def start_sid(c, sp, minor, pattern, **env):
    t = c.spawn(sp.argv(minor, pattern, "-w"), env=py_env(**env))
    if not t.out.wait_for(r"^ready", 30):
        raise Fail(f"{pattern}.py under python{minor} in {sp.root} never got ready: "
                   f"{tail(t.err.text)}")
    return t


def check_sid_attach(c, minor, pattern):
    """Attached from the host to the chrooted interpreter, exact mode
    (PYTHONMALLOC=malloc): the seed leak's line ranks first, function named."""
    sp = SidProgs(c)
    t = start_sid(c, sp, minor, pattern, PYTHONMALLOC="malloc")
    rep = c.attach(t, duration=PY_ATTACH_DURATION)
    if (rep.get("python") or {}).get("supported") is not True:
        raise Fail(f"python={rep.get('python')!r}: python{minor} not read | " + summary(rep))
    check_python_report(rep, "python" + minor, pattern, leaked_count(t.out.text, pattern),
                        version=sp.version(minor), prog=f"{sp.dir}/{pattern}.py")
    validate(rep, comm="python" + minor, pid=t.pid, python=True)


def check_sid_launch(c, minor, pattern):
    """leaktrace --python-malloc=libc -- chroot ROOT python3.X prog.py."""
    sp = SidProgs(c)
    path = os.path.join(c.tmp, "report.json")
    rc, out, err = c.leaktrace(["--python-malloc=libc", "-t", "1000", "--json", path, "--",
                                *sp.argv(minor, pattern)], 60, env=py_env())
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}, want 0; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    check_python_report(rep, "python" + minor, pattern, leaked_count(out, pattern),
                        version=sp.version(minor), prog=f"{sp.dir}/{pattern}.py")
    validate(rep, python=True)


def check_sid_lite(c, minor):
    """Attached without PYTHONMALLOC: a stripped LTO build, so lite mode by
    itself; the 4 KiB-per-round leak is suspect 1 at its line."""
    sp = SidProgs(c)
    t = start_sid(c, sp, minor, "lite_big")
    rep = c.attach(t, duration=5, opts=LITE_REPORT)
    if rep.get("mode") != "lite" or "LTO" not in rep.get("mode_reason", ""):
        raise Fail(f"mode={rep.get('mode')!r} ({rep.get('mode_reason')!r}), want lite for LTO")
    src, line = marker("lite_big.py", "lite_big")
    top = first_suspect(rep)
    pf = py_frames(top)
    if not pf or pf[0][1].get("file") != f"{sp.dir}/{src}" or pf[0][1].get("line") != line:
        raise Fail(f"suspect 1 is {stack_str(top)}, want {src}:{line} | " + summary(rep))
    n, nbytes = top["allocs"], top["bytes"]
    if n < 50 or not n * 4033 <= nbytes <= n * 4037:
        raise Fail(f"suspect 1 holds {nbytes} B in {n} blocks, want >= 50 blocks of 4037 B")


def check_sid_objects(c, minor):
    """--objects on the reference cycles in the chrooted LTO interpreter."""
    sp = SidProgs(c)
    t = start_sid(c, sp, minor, "cycles", PYTHONMALLOC="malloc")
    rep = c.attach(t, duration=PY_ATTACH_DURATION, opts=("--objects",))
    check_objects_report(rep, leaked_count(t.out.text, "cycles"), int(minor.split(".")[1]))


for _minor in SID_MINORS:
    add_test(f"python_oracle_{_minor}", lambda c, m=_minor: check_sid_oracle(c, m), 600)
    add_test(f"python_objects_{_minor}", lambda c, m=_minor: check_sid_objects(c, m), 60)
    for _pattern in SID_PATTERNS:
        add_test(f"python_{_pattern}_{_minor}",
                 lambda c, p=_pattern, m=_minor: check_sid_attach(c, m, p), 60)
    add_test(f"python_launch_{_minor}", lambda c, m=_minor: check_sid_launch(c, m, "event_log"), 60)
    add_test(f"lite_big_{_minor}", lambda c, m=_minor: check_sid_lite(c, m), 60)


@test(60)
def t_python_unsupported_debug_offsets(c):
    """A CPython whose table says 3.16.0 (python3.15 with its version word
    changed): one clear line in text and JSON, native stacks only."""
    sp = SidProgs(c)
    exe = os.path.join(sp.host, "python3.16")
    shutil.copy(os.path.join(sp.root, "usr/bin/python3.15"), exe)
    sect = subprocess.run(["readelf", "-SW", exe], capture_output=True, text=True).stdout
    m = re.search(r"\.PyRuntime\s+PROGBITS\s+[0-9a-f]+\s+([0-9a-f]+)", sect)
    if not m:
        raise Fail(f"no .PyRuntime section in {exe}")
    with open(exe, "r+b") as f:
        f.seek(int(m.group(1), 16))
        if f.read(8) != b"xdebugpy":
            raise Fail("no xdebugpy cookie at .PyRuntime")
        f.write((0x031000f0).to_bytes(8, "little"))
    t = c.spawn(["chroot", sp.root, f"{sp.dir}/python3.16", f"{sp.dir}/dict_cache.py", "-w"],
                env=py_env(PYTHONMALLOC="malloc"))
    if not t.out.wait_for(r"^ready", 30):
        raise Fail(f"the patched interpreter never got ready: {tail(t.err.text)}")
    rep = c.attach(t, duration=PY_ATTACH_DURATION)
    want = ("Python 3.16.0 (debug offsets v0x031000f0): not supported (no known layout for "
            "3.16's table); native stacks only")
    if f"python: {want}" not in c.last.out.text:
        raise Fail(f"the text report does not say {want!r}: {tail(c.last.out.text)}")
    if rep.get("python") != {"supported": False, "reason": want}:
        raise Fail(f"JSON python={rep.get('python')!r}, want supported false and the reason")
    if any(fr.get("kind") == "python" for st in rep["stacks"] for fr in st["frames"]):
        raise Fail("Python frames from an interpreter said to be unsupported")
