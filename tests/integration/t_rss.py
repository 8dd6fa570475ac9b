# SPDX-License-Identifier: MIT
"""What drives RSS growth (--rss), in C and Python programs."""

import os
import re

from harness import Fail, PYDIR, Skip, add_test, base, tail, test
from targets import DEBIAN_PYTHON, attach_python, py_env, pyenv_python
from checks import frame_str, leaf, leaked_count, marker, markers, stack_str, validate

MiB = 1 << 20
PAGE = 4096


def rss_of(rep):
    rss = rep.get("rss")
    if not isinstance(rss, dict) or not isinstance(rss.get("stacks"), list):
        raise Fail(f"no 'rss' section in the report; keys: {sorted(rep)}")
    return rss


def rss_str(st, depth=3):
    frames = " <- ".join(frame_str(fr) for fr in st.get("frames", [])[:depth]) or "[no frames]"
    return f"{st.get('bytes')} B/{st.get('pages')} pages{' (kernel)' if st.get('kernel') else ''}" \
        f" at {frames}"


def rss_summary(rss, limit=5):
    return f"rss resident={rss.get('resident_bytes')} faulted={rss.get('faulted_bytes')} " \
        f"stacks=[" + "; ".join(rss_str(st) for st in rss["stacks"][:limit]) + "]"


def rss_one(rss, src, name, index=0):
    """The one rss stack whose frame `index` is function `name` at its marker."""
    fname, line = marker(src, name)
    hits = [st for st in rss["stacks"] if len(st.get("frames", [])) > index
            and st["frames"][index].get("function") == name]
    if len(hits) != 1:
        raise Fail(f"{len(hits)} rss stacks with {name}() as frame {index}, want 1 | "
                   + rss_summary(rss))
    fr = hits[0]["frames"][index]
    if base(fr.get("file")) != fname or fr.get("line") != line:
        raise Fail(f"{name}: at {base(fr.get('file'))}:{fr.get('line')}, want {fname}:{line} | "
                   + rss_str(hits[0], index + 2))
    return hits[0]


def check_toucher(rep, out=None):
    """toucher.c under --rss: see the program's comment for what it does;
    out: its output, if not -q."""
    validate(rep, comm="toucher")
    rss = rss_of(rep)
    # User-mode writes: one fault per 4 KiB page of a page-aligned mapping.
    st = rss_one(rss, "toucher.c", "touch_pages")
    if (st["bytes"], st["pages"], st["kernel"]) != (8 * MiB, 2048, False):
        raise Fail(f"touch_pages: {rss_str(st)}, want {8 * MiB} B in 2048 pages, user mode")
    if [f.get("function") for f in st["frames"][1:2]] != ["main"]:
        raise Fail(f"touch_pages: callers {rss_str(st, 4)}, want main")
    # Kernel-mode writes: read() into a fresh 1 MiB mapping, named by the
    # caller of libc's read() (its frame read at the wrapper's %rsp).
    st = rss_one(rss, "toucher.c", "read_into", 1)
    if (st["bytes"], st["pages"], st["kernel"]) != (MiB, 256, True) or \
            st["frames"][0].get("function") != "read":
        raise Fail(f"read_into: {rss_str(st)}, want read() <- read_into, {MiB} B in 256 pages, "
                   f"kernel mode")
    # Charge-back: munmap, MADV_DONTNEED, a shrinking brk, munmap after a
    # move release what was touched; a shrinking mremap releases the tail
    # and a move keeps the rest charged.
    for name in ("touch_release", "touch_dontneed", "touch_brk", "touch_moved", "touch_sparse"):
        held = [st for st in rss["stacks"] if any(f.get("function") == name for f in st["frames"])]
        if held:
            raise Fail(f"{name}: still charged after release: " + rss_str(held[0]))
    st = rss_one(rss, "toucher.c", "touch_remap", 1)
    if (st["bytes"], st["pages"], st["faults"]) != (MiB, 256, 512):
        raise Fail(f"touch_remap: {rss_str(st)} in {st['faults']} faults, want {MiB} B in 256 "
                   f"pages (512 faulted, half released by mremap)")
    if rss["released_bytes"] < 10 * MiB or rss["faulted_bytes"] < 24 * MiB:
        raise Fail(f"faulted {rss['faulted_bytes']} B, released {rss['released_bytes']} B: want "
                   f">= 24 MiB and >= 10 MiB (munmap 4+1, DONTNEED 2, brk 1, mremap 1+1)")
    # MADV_HUGEPAGE: weighed by folio: 4 MiB, in 2 faults where THP served
    # it (the program prints the process's AnonHugePages), 1024 if not.
    st = rss_one(rss, "toucher.c", "touch_huge", 1)
    thp = re.search(r"(?m)^thp (-?\d+) kB$", out or "")
    want = {4096: 2, 0: 1024}.get(int(thp.group(1))) if thp else None
    if st["bytes"] != 4 * MiB or (want and st["faults"] != want):
        raise Fail(f"touch_huge: {rss_str(st)} in {st['faults']} faults, want {4 * MiB} B"
                   + (f" in {want} faults ({thp.group(0)})" if want else ""))
    # Allocated but never touched: malloc's 16-byte header shares the first
    # page of the 64 MiB mapping, so 16383 whole pages were never touched.
    ut = rss.get("untouched") or {}
    hits = [u for u in ut.get("stacks", []) if leaf(u).get("function") == "reserve"]
    fname, line = marker("toucher.c", "reserve")
    if len(hits) != 1:
        raise Fail(f"{len(hits)} untouched stacks led by reserve(), want 1: {ut}")
    u = hits[0]
    if (u["bytes"], u["allocated_bytes"], u["allocs"], u["allocator"]) != \
            (64 * MiB - PAGE, 64 * MiB, 1, "malloc") or \
            (base(leaf(u).get("file")), leaf(u).get("line")) != (fname, line):
        raise Fail(f"untouched reserve(): {u['bytes']} of {u['allocated_bytes']} B in "
                   f"{u['allocs']} ({u['allocator']}) at {frame_str(leaf(u))}, want "
                   f"{64 * MiB - PAGE} of {64 * MiB} B in 1 (malloc) at {fname}:{line}")
    if ut["bytes"] < u["bytes"] or ut["anon_writable_bytes"] - ut["anon_writable_rss_bytes"] < \
            u["bytes"]:
        raise Fail(f"untouched totals below reserve()'s: {ut}")
    # Never in the leak ranking: the stacks there are the allocations only.
    for st in rep["stacks"]:
        if leaf(st).get("function") in ("touch_pages", "read_into", "touch_dontneed"):
            raise Fail("a page-fault stack in the leak stacks: " + stack_str(st))


@test()
def t_rss_attach(c):
    t = c.start_target("toucher")
    rep = c.attach(t, opts=("--rss",))
    check_toucher(rep, t.out.text)


@test()
def t_rss_launch(c):
    check_toucher(c.launch("toucher", opts=("--rss",)))


def check_rss_python(c, rep, python, out):
    """rss_fill.py: each filling line is charged its 8 MiB: 2049 pages, as
    the data starts past malloc's header in a fresh mapping (the header page
    is written by malloc, under the same line), plus at most two pages of
    pymalloc pool for the object itself; the dropped line holds nothing."""
    validate(rep, comm=os.path.basename(python), python=True)
    rss = rss_of(rep)
    leaked_count(out, "rss_fill.py")
    src = "rss_fill.py"
    marked = {markers(src)[n] for n in ("rss_bytearray", "rss_list", "rss_dropped")}
    by_line = {}
    for st in rss["stacks"]:
        py = [fr for fr in st["frames"] if fr.get("kind") == "python"]
        if py and base(py[0].get("file")) == src:
            if py[0].get("line") in marked and py[0].get("function") != "fill":
                raise Fail(f"innermost Python frame {frame_str(py[0])}, want fill()")
            by_line[py[0].get("line")] = by_line.get(py[0].get("line"), 0) + st["bytes"]
    for name in ("rss_bytearray", "rss_list"):
        _, line = marker(src, name)
        got = by_line.get(line, 0)
        if not 8 * MiB + PAGE <= got <= 8 * MiB + 3 * PAGE:
            raise Fail(f"{src}:{line} ({name}) charged {got} B, want {8 * MiB + PAGE}.."
                       f"{8 * MiB + 3 * PAGE} | by line {by_line} | " + rss_summary(rss))
    _, line = marker(src, "rss_dropped")
    if by_line.get(line):
        raise Fail(f"{src}:{line} (dropped) still charged {by_line[line]} B | by line {by_line}")


def check_rss_python_attach(c, minor):
    python = pyenv_python(minor)
    t, rep = attach_python(c, python, "rss_fill", opts=("--rss",))
    check_rss_python(c, rep, python, t.out.text)


for _minor in ("3.11", "3.13"):
    add_test(f"rss_python_{_minor}", lambda c, m=_minor: check_rss_python_attach(c, m), 60)


def check_rss_python_debian(c):
    """Launch mode on Debian's LTO python3, like the other Debian tests with
    --python-malloc=libc (without it, module code freed at startup before
    its names are read leaves a few nameless frames in the leak stacks)."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        raise Skip(f"no {DEBIAN_PYTHON}")
    path = os.path.join(c.tmp, "report.json")
    rc, out, err = c.leaktrace(["--rss", "--python-malloc=libc", "-t", "1000", "--json", path,
                                "--", DEBIAN_PYTHON,
                                os.path.join(PYDIR, "rss_fill.py")], 40, env=py_env())
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(err)}")
    check_rss_python(c, c.report(path, rc, err), DEBIAN_PYTHON, out)


add_test("rss_python_debian", check_rss_python_debian, 60)
