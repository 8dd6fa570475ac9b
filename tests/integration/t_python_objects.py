# SPDX-License-Identifier: MIT
"""Python GC objects (--objects) and their two full tables, versions and
builds: unsupported versions, 3.13's debug offsets, a bounded code cache, a
timed frame walk, Debian's LTO build.
"""

import os
import re
import signal
import time

from harness import Fail, PYDIR, Skip, add_test, base, tail, test
from targets import (DEBIAN_PYTHON, PY_ATTACH_DURATION, attach_python, py_env, py_prog_env,
                     pyenv_python)
from checks import (check_new_stacks_lost, check_objects_report, check_python_report,
                    leaked_count, marker, need_python_frames, py_frames, stack_str, summary,
                    top_suspect, validate)

BUFFER = 2049  # what cycles.py's bytearray(2048) allocates (3.13: PyMem_Realloc)


def check_objects(c, minor):
    """--objects on the reference cycles: Session and Handler objects, one
    per leaked pair, each type with the Python line that made it."""
    python = pyenv_python(f"3.{minor}")
    t, rep = attach_python(c, python, "cycles", opts=("--objects",))
    check_objects_report(rep, leaked_count(t.out.text, "cycles.py"), minor)


for _minor in (8, 11, 13):
    add_test(f"python_objects_3.{_minor}", lambda c, m=_minor: check_objects(c, m), 60)


@test(60)
def t_python_objects_map_full(c):
    """--objects with room for 1,024 objects: the ones that did not fit are
    counted (drops.objects_map_full, not objects_agg_map_full), never
    silently missing, and the text report says how many."""
    python = pyenv_python("3.13")
    t, rep = attach_python(c, python, "cycles", opts=("--objects", "--max-allocs", "1024"))
    drops = rep.get("drops") or rep.get("totals", {}).get("drops") or {}
    n = leaked_count(t.out.text, "cycles.py")
    live = sum(o["live"] for o in rep.get("objects", []))
    full = drops.get("objects_map_full", 0)
    if full <= 0 or drops.get("objects_agg_map_full") != 0 or live > 1024:
        raise Fail(f"{n} leaked pairs, {live} objects live in a table of 1024, drops {drops}")
    want = f"not counted: {full} objects, object table full (--max-allocs); 0, type and line"
    if want not in c.last.out.text:
        raise Fail(f"the text report does not say {want!r}: {tail(c.last.out.text, 600)}")


@test(60)
def t_python_objects_agg_full(c):
    """--objects with room for 1,024 (type, line) pairs and 2,000 types made
    at run time: the objects that found no pair are counted apart from a full
    object table (drops.objects_agg_map_full, not objects_map_full), the text
    report says how many, and what came first is still exact: the Session and
    Handler counts, the leaked buffers to the byte."""
    python = pyenv_python("3.13")
    t, rep = attach_python(c, python, "manytypes", opts=("--objects", "--max-agg", "1024"))
    n = leaked_count(t.out.text, "manytypes.py")
    drops = rep.get("drops") or {}
    agg_full = drops.get("objects_agg_map_full", 0)
    if agg_full <= 0 or drops.get("objects_map_full") != 0:
        raise Fail(f"drops {drops}: want objects_agg_map_full > 0, objects_map_full 0")
    kinds = [o for o in rep.get("objects", []) if re.fullmatch(r"Kind\d+", o["type"])]
    if len(kinds) >= 1024 or len(kinds) + agg_full < 2000 or \
            any(o["live"] != 1 for o in kinds):
        raise Fail(f"{len(kinds)} Kind types reported (live {sorted({o['live'] for o in kinds})}), "
                   f"{agg_full} objects not counted: want < 1024, adding up to 2000 at least")
    want = (f"not counted: 0 objects, object table full (--max-allocs); {agg_full}, "
            f"type and line table full (--max-agg)")
    if want not in c.last.out.text:
        raise Fail(f"the text report does not say {want!r}: {tail(c.last.out.text, 600)}")
    check_objects_report(rep, n, 13)
    # the buffers: one stack per specialization of the line (the first call
    # runs unspecialized), all with the same allocator and size
    fname, line = marker("cycles.py", "cycles")
    bufs = [st for st in rep["stacks"] if st["allocator"] == "PyMem_Realloc" and
            (py_frames(st) or [(0, {})])[0][1].get("line") == line and
            base(py_frames(st)[0][1].get("file")) == fname]
    got = (sum(st["allocs"] for st in bufs), sum(st["bytes"] for st in bufs))
    if got != (n, n * BUFFER):
        raise Fail(f"the buffers at {fname}:{line}: {got[0]} allocations, {got[1]} B, want {n} x "
                   f"{BUFFER} B | " + summary(rep))


@test(60)
def t_python_objects_debian(c):
    """Debian's LTO python3 inlines its GC allocators: --objects reads the
    objects from the outstanding allocations instead (exact mode, libc)."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        raise Skip(f"no {DEBIAN_PYTHON}")
    t = c.spawn([DEBIAN_PYTHON, os.path.join(PYDIR, "cycles.py"), "-w"],
                env=py_env(PYTHONMALLOC="malloc"))
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"cycles.py never got ready: {tail(t.err.text)}")
    rep = c.attach(t, duration=PY_ATTACH_DURATION, opts=("--objects",))
    check_objects_report(rep, leaked_count(t.out.text, "cycles.py"), 11)


@test(60)
def t_python_unsupported_version(c):
    """CPython 3.7: one clear line in the text report and in JSON, native
    frames only, never wrong ones."""
    python = pyenv_python("3.7")
    t, rep = attach_python(c, python, "dict_cache")
    want = "Python 3.7: not supported (leaktrace reads 3.8 and later); native stacks only"
    if want not in c.last.err.text:
        raise Fail(f"no {want!r} on stderr: {tail(c.last.err.text)}")
    if f"python: {want}" not in c.last.out.text:
        raise Fail(f"the text report does not say it: {tail(c.last.out.text)}")
    if any(fr.get("kind") == "python" for st in rep["stacks"] for fr in st["frames"]):
        raise Fail("Python frames on an unsupported version")
    if rep.get("python") != {"supported": False, "reason": want}:
        raise Fail(f"JSON python={rep.get('python')!r}, want supported false and the reason")


@test(60)
def t_python_313_debug_offsets(c):
    """3.13 publishes _Py_DebugOffsets: its frames are walked from them (the
    unit tests check them against the generated table)."""
    python = pyenv_python("3.13")
    t, rep = attach_python(c, python, "dict_cache", opts=("-v",))
    if "offsets from its own _Py_DebugOffsets (v0x030d00f0)" not in c.last.err.text:
        raise Fail(f"no line saying the offsets came from the table: {tail(c.last.err.text)}")
    need_python_frames(rep, python)


@test(60)
def t_python_code_cache_bounded(c):
    """A target that makes a new code object per request (exec of generated
    source): with the code-object budget set low (16 KiB), what no frame
    named since the last sweep is dropped, said under -v, and the steady
    leak is still named at its line."""
    python = pyenv_python("3.12")
    t = c.spawn([python, os.path.join(PYDIR, "codegen.py"), "-w"],
                env=py_prog_env(c, python, "codegen"))
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"codegen.py never got ready: {tail(t.err.text)}")
    rep = c.attach(t, duration=5, opts=("-v",), wrap=("env", "LEAKTRACE_PY_CODE_BYTES=16384"))
    n = leaked_count(t.out.text, "codegen.py")
    drops = re.findall(r"python: code objects over 16 KiB: (\d+) of (\d+) dropped, (\d+) KiB kept",
                       c.last.err.text)
    if not drops or not any(int(d) > 0 for d, _, _ in drops):
        raise Fail(f"no code objects dropped: {tail(c.last.err.text, 600)}")
    st, at = top_suspect(rep, os.path.join(PYDIR, "codegen.py"))
    _, line = marker("codegen.py", "codegen")
    fr = st["frames"][at] if st else {}
    if not st or fr.get("line") != line or fr.get("function") != "handle" or \
            st["allocs"] < n // 2:
        raise Fail(f"top suspect {stack_str(st, at + 2) if st else None}, want handle at "
                   f"codegen.py:{line} with >= {n // 2} allocations | " + summary(rep))


@test(90)
def t_python_new_stacks_lost(c):
    """leaktrace held (SIGSTOP) while the target makes 16,000 new Python
    stacks, more than the new-stack ring holds: the notices that did not fit
    are counted (drops.new_stacks_lost) and the text report says so. Once
    resumed, leaktrace reads those stacks' code objects at its scan, before
    the target is killed: the largest ones, made last, unsignalled, have
    every frame named and at the lines that made them (their sizes say
    which), so do 32 functions compiled after them, whose code objects only
    lost notices named (without the scan their frames go missing), and the
    leak made last is reported to the byte at its line."""
    python = pyenv_python("3.13")
    t = c.spawn([python, os.path.join(PYDIR, "newstacks.py"), "-w"], env=py_env())
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"newstacks.py never got ready: {tail(t.err.text)}")

    def resume(lt):
        # the scan (each second) reads what the lost notices named; then the
        # target dies, and nothing read later could name a frame
        lt.signal(signal.SIGCONT)
        time.sleep(2.5)
        t.signal(signal.SIGKILL)

    rep = c.attach(t, duration=30, before_go=lambda lt: lt.signal(signal.SIGSTOP), stop=resume)
    check_new_stacks_lost(rep, c.last.out.text, rep, leaked_count(t.out.text, "newstacks.py"))
    validate(rep, comm="python3.13", pid=t.pid, python=True)


@test(60)
def t_python_walk_timed(c):
    """LEAKTRACE_TIME_PYWALK=1 (bench/pywalk.sh's knob) loads the timed
    walker: the report still names the leak, and counts the walks it timed,
    each through one frame at least."""
    python = pyenv_python("3.13")
    t, rep = attach_python(c, python, "dict_cache", wrap=("env", "LEAKTRACE_TIME_PYWALK=1"))
    check_python_report(rep, python, "dict_cache", leaked_count(t.out.text, "dict_cache.py"))
    py = rep.get("python") or {}
    walks, frames, ns = (py.get(k, 0) for k in ("walks_timed", "walk_frames", "walk_ns"))
    if walks < 100 or frames < walks or ns <= 0:
        raise Fail(f"python={py!r}: want >= 100 walks timed, a frame each at least")


@test(60)
def t_python_debian_lto_detected(c):
    """Attached to Debian's LTO python3: lite mode is chosen, and the report
    says why; --mode exact there warns that small objects are unseen, with the
    remedy."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        raise Skip(f"no {DEBIAN_PYTHON}")
    t, rep = attach_python(c, DEBIAN_PYTHON, "dict_cache")
    if rep.get("mode") != "lite" or "LTO" not in rep.get("mode_reason", ""):
        raise Fail(f"mode={rep.get('mode')!r} ({rep.get('mode_reason')!r}), want lite for LTO")
    if not (rep.get("python") or {}).get("small_objects_unseen"):
        raise Fail(f"report python={rep.get('python')!r}, want small_objects_unseen")
    if "mode: lite (" not in c.last.out.text:
        raise Fail(f"the text report does not say the mode: {tail(c.last.out.text)}")
    t, rep = attach_python(c, DEBIAN_PYTHON, "dict_cache", ["--mode", "exact"])
    if rep.get("mode") != "exact":
        raise Fail(f"--mode exact ran {rep.get('mode')!r}")
    if "--python-malloc=libc" not in c.last.err.text:
        raise Fail(f"no remedy on stderr: {tail(c.last.err.text)}")
