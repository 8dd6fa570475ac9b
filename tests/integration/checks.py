# SPDX-License-Identifier: MIT
"""Checks on leaktrace's reports: the shape every JSON report must have
(validate), the program sources' markers, expected stacks and totals, the
allocator and realloc programs, CFI-unwound chains, Python suspects and
objects, --fds stacks, and go tool pprof reading an export.
"""

import ctypes
import json
import os
import re
import shutil
import subprocess

from harness import Fail, PROGS, PYDIR, ROOT, Skip, base, tail, vprint
from targets import CEXT_FUNCTION, PY_OUTER, PY_PATTERNS, py_info

ALLOCATORS = {"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
              "aligned_alloc", "memalign", "valloc", "pvalloc", "mmap"}
PY_ALLOCATOR = re.compile(r"Py(Mem_Raw|Mem|Object)_[A-Za-z]+")  # PyObject_Malloc, ...

# --- report checks ---------------------------------------------------------

_markers = {}


def markers(src):
    """{name: line} of the /* LEAK:name */ and /* FREED:name */ in progs/src,
    or of the # LEAK:name in python/src."""
    if src not in _markers:
        found = {}
        py = src.endswith(".py")
        regex = r"#\s*LEAK:(\w+)\s*$" if py else r"/\* (?:LEAK|FREED|RSS):(\w+) \*/"
        with open(os.path.join(PYDIR if py else PROGS, src)) as f:
            for n, line in enumerate(f, 1):
                for m in re.finditer(regex, line):
                    if m.group(1) in found:
                        raise Fail(f"marker {m.group(1)} twice in {src}")
                    found[m.group(1)] = n
        _markers[src] = found
    return _markers[src]


def marker(src, name):
    """(basename, line) of marker `name` in progs/src or python/src."""
    if name not in markers(src):
        raise Fail(f"no marker {name} in {src}")
    return os.path.basename(src), markers(src)[name]


def frame_str(fr):
    where = f"{base(fr.get('file'))}:{fr.get('line')}" if "file" in fr else base(fr.get("module"))
    return f"{fr.get('function', '?')}({where})"


def stack_str(st, depth=3):
    frames = " <- ".join(frame_str(fr) for fr in st.get("frames", [])[:depth])
    frames = frames or "[no frames]"
    return f"{st.get('allocator')} {st.get('bytes')} B/{st.get('allocs')} at {frames}"


def summary(rep, limit=6):
    stacks = rep.get("stacks", [])
    shown = "; ".join(stack_str(st) for st in stacks[:limit])
    more = f"; +{len(stacks) - limit} more" if len(stacks) > limit else ""
    return f"totals={json.dumps(rep.get('totals'), sort_keys=True)} stacks=[{shown}{more}]"


def leaf(st):
    frames = st.get("frames") or [{}]
    return frames[0]


def validate(rep, comm=None, pid=None, sums=True, python=False, mode=None):
    """The shape every report must have; dropped_events must be 0 here. With
    python, frames may also be Python ones and allocators CPython's."""
    problems = []
    if rep.get("version") != 1:
        problems.append(f"version={rep.get('version')!r}")
    if rep.get("mode") not in ((mode,) if mode else ("exact", "lite")):
        problems.append(f"mode={rep.get('mode')!r}")
    if pid is not None and rep.get("pid") != pid:
        problems.append(f"pid={rep.get('pid')!r}, want {pid}")
    if comm is not None and rep.get("comm") != comm[:15]:
        problems.append(f"comm={rep.get('comm')!r}, want {comm[:15]!r}")
    if not isinstance(rep.get("duration_s"), (int, float)) or rep["duration_s"] < 0:
        problems.append(f"duration_s={rep.get('duration_s')!r}")
    tot = rep.get("totals")
    if not isinstance(tot, dict) or not all(
            isinstance(tot.get(k), int) for k in
            ("outstanding_bytes", "outstanding_allocs", "dropped_events")):
        problems.append(f"totals={tot!r}")
        tot = None
    elif tot["dropped_events"] != 0:
        problems.append(f"dropped_events={tot['dropped_events']}")
    stacks = rep.get("stacks")
    if not isinstance(stacks, list):
        raise Fail(f"report: stacks={stacks!r}")
    for st in stacks:
        if not isinstance(st.get("bytes"), int) or not isinstance(st.get("allocs"), int) \
                or st["allocs"] <= 0:
            problems.append(f"stack sizes: {stack_str(st)}")
        if st.get("allocator") not in ALLOCATORS and not (
                python and PY_ALLOCATOR.fullmatch(str(st.get("allocator")))):
            problems.append(f"allocator={st.get('allocator')!r}")
        if not isinstance(st.get("oldest_age_s"), (int, float)) or st["oldest_age_s"] < 0:
            problems.append(f"oldest_age_s={st.get('oldest_age_s')!r}")
        if not st.get("frames") and not python:  # CPython's own frames are hidden
            problems.append(f"no frames: {stack_str(st)}")
        for fr in st.get("frames", []):
            if python and fr.get("kind") == "python":
                # No line is allowed: one frame may not have started its first
                # instruction (its cells being made, say). Import-time code
                # can be gone before leaktrace reads it: labelled so, allowed.
                if fr.get("function") == "<code object freed>":
                    continue
                if not fr.get("function") or not isinstance(fr.get("file"), str) or \
                        not isinstance(fr.get("line", 0), int):
                    problems.append(f"python frame {json.dumps(fr, sort_keys=True)}")
                    break
            elif fr.get("kind") != "native":
                problems.append(f"frame kind={fr.get('kind')!r}")
                break
    sizes = [st.get("bytes", 0) for st in stacks]
    if sizes != sorted(sizes, reverse=True):
        problems.append(f"stacks not sorted by bytes: {sizes}")
    if sums and tot and (tot["outstanding_bytes"] != sum(sizes) or
                         tot["outstanding_allocs"] != sum(st.get("allocs", 0) for st in stacks)):
        problems.append("totals are not the sum of the stacks")
    if problems:
        raise Fail("bad report: " + "; ".join(problems[:4]) + " | " + summary(rep))


def expect_stack(rep, src, site, module, allocator, nbytes, allocs, callers=()):
    """Exactly one stack whose leaf (the allocator's caller) is function `site`,
    at its marker line, with these exact numbers; callers are the next frames."""
    fname, line = marker(src, site)
    hits = [st for st in rep["stacks"] if leaf(st).get("function") == site]
    if len(hits) != 1:
        raise Fail(f"{len(hits)} stacks with {site}() as frames[0], want 1 | " + summary(rep))
    st = hits[0]
    fr = leaf(st)
    allowed = allocator if isinstance(allocator, set) else {allocator}
    wrong = []
    if base(fr.get("file")) != fname or fr.get("line") != line:
        wrong.append(f"at {base(fr.get('file'))}:{fr.get('line')}, want {fname}:{line}")
    if base(fr.get("module")) != module or not os.path.isabs(fr.get("module", "")):
        wrong.append(f"module {fr.get('module')!r}, want /.../{module}")
    if st.get("allocator") not in allowed:
        wrong.append(f"allocator {st.get('allocator')!r}, want {'/'.join(sorted(allowed))}")
    if st.get("bytes") != nbytes or st.get("allocs") != allocs:
        wrong.append(f"{st.get('bytes')} B/{st.get('allocs')} allocs, want {nbytes} B/{allocs}")
    got = [fr.get("function") for fr in st["frames"][1:1 + len(callers)]]
    if got != list(callers):
        wrong.append(f"callers {got}, want {list(callers)}")
    if wrong:
        raise Fail(f"{site}: " + "; ".join(wrong) + " | " + stack_str(st, 4))
    return st


def expect_absent(rep, src, *names):
    """No frame of these functions, and no leaf at these markers' lines."""
    lines = {marker(src, n): n for n in names if n in markers(src)}
    for st in rep["stacks"]:
        fr = leaf(st)
        key = (base(fr.get("file")), fr.get("line"))
        if key in lines:
            raise Fail(f"{lines[key]} ({key[0]}:{key[1]}) is in the report: {stack_str(st)}")
        for f in st["frames"]:
            if f.get("function") in names:
                raise Fail(f"{f['function']}() is in the report: {stack_str(st)}")


def expect_totals(rep, nbytes, allocs):
    tot = rep["totals"]
    if (tot["outstanding_bytes"], tot["outstanding_allocs"]) != (nbytes, allocs):
        raise Fail(f"totals {tot['outstanding_bytes']} B/{tot['outstanding_allocs']} allocs, "
                   f"want {nbytes} B/{allocs} | " + summary(rep))


def expect_nstacks(rep, n):
    if len(rep["stacks"]) != n:
        raise Fail(f"{len(rep['stacks'])} stacks, want {n} | " + summary(rep))


def own_stacks(rep, *modules):
    """Stacks allocated directly by the test program's code (not libc/ld.so)."""
    return [st for st in rep["stacks"] if base(leaf(st).get("module")) in modules]


def check_leaker(rep):
    expect_stack(rep, "leaker.c", "leak_big", "leaker", "malloc", 10 * 4000, 10, ["main"])
    expect_stack(rep, "leaker.c", "leak_small", "leaker", "malloc", 100 * 48, 100, ["main"])
    expect_absent(rep, "leaker.c", "churn")
    expect_nstacks(rep, 2)
    expect_totals(rep, 44800, 110)


def check_reallocs(rep, mode="exact"):
    validate(rep, comm="reallocs", mode=mode)
    expect_stack(rep, "reallocs.c", "realloc_grow", "reallocs", "realloc", 32768, 1, ["main"])
    expect_stack(rep, "reallocs.c", "realloc_chain", "reallocs", "realloc", 20000, 1, ["main"])
    expect_stack(rep, "reallocs.c", "realloc_shrink", "reallocs", "realloc", 300, 1, ["main"])
    expect_stack(rep, "reallocs.c", "realloc_fail_keep", "reallocs", "malloc", 64, 1, ["main"])
    expect_absent(rep, "reallocs.c", "realloc_to_zero", "realloc_then_free", "realloc_null_zero",
                  "grow_start", "shrink_start", "realloc_fail")
    expect_nstacks(rep, 4)
    expect_totals(rep, 32768 + 20000 + 300 + 64, 4)


def same_function(a, b):
    """True if libc exports a and b at one address (glibc 2.36: aligned_alloc
    is memalign), so no probe can tell which name the program called."""
    libc = ctypes.CDLL("libc.so.6")
    addr = [ctypes.cast(getattr(libc, n), ctypes.c_void_p).value for n in (a, b)]
    return addr[0] == addr[1]


def check_allocators(rep, mode="exact"):
    validate(rep, comm="allocators", mode=mode)
    aligned = {"aligned_alloc", "memalign"} if same_function("aligned_alloc", "memalign") else None
    want = [  # site, allocator, bytes, allocs
        ("use_calloc", "calloc", 3 * 25 * 40, 3),
        ("use_posix_memalign", "posix_memalign", 2 * 1000, 2),
        ("use_aligned_alloc", aligned or "aligned_alloc", 2048, 1),
        ("use_memalign", aligned or "memalign", 700, 1),
        ("use_valloc", "valloc", 5000, 1),
        ("use_pvalloc", "pvalloc", 3000, 1),
        ("use_reallocarray", "reallocarray", 30 * 12, 1),
    ]
    wrong = []
    for site, alloc, nbytes, allocs in want:
        try:
            expect_stack(rep, "allocators.c", site, "allocators", alloc, nbytes, allocs, ["main"])
        except Fail as e:
            wrong.append(str(e).split(" | ")[0])
    if wrong:
        raise Fail("; ".join(wrong) + " | " + summary(rep, 8))
    expect_nstacks(rep, len(want))
    expect_totals(rep, sum(w[2] for w in want), sum(w[3] for w in want))


MAIN_TAIL = ["main", "__libc_start_call_main", "__libc_start_main", "_start"]


def fns(st):
    return [fr.get("function") for fr in st["frames"]]


def stacks_with(rep, leaf_fn):
    return [st for st in rep["stacks"] if fns(st) and fns(st)[0] == leaf_fn]


def one_stack(rep, leaf_fn, nbytes, allocs, want):
    got = [st for st in stacks_with(rep, leaf_fn) if st["bytes"] == nbytes]
    if len(got) != 1 or got[0]["allocs"] != allocs or fns(got[0]) != want:
        raise Fail(f"want one stack of {nbytes} B in {allocs} allocations: {want}; got "
                   + "; ".join(f"{st['bytes']} B/{st['allocs']}: {fns(st)}"
                               for st in stacks_with(rep, leaf_fn)))
    return got[0]


def leaked_count(out, who):
    """N of the program's "done N" line."""
    m = re.search(r"(?m)^done (\d+)$", out)
    if not m:
        raise Fail(f"{who} printed no 'done N' line: {tail(out)}")
    return int(m.group(1))


def same_file(path, want):
    """path (a frame's file) is want; a relative one is taken from ROOT, the
    programs' working directory."""
    return isinstance(path, str) and \
        os.path.realpath(os.path.join(ROOT, path)) == os.path.realpath(want)


def py_frames(st):
    """(index, frame) of the Python frames of a stack, innermost first."""
    return [(i, fr) for i, fr in enumerate(st.get("frames", [])) if fr.get("kind") == "python"]


def top_suspect(rep, prog):
    """The stack with the most bytes whose innermost Python frame is in prog:
    (stack, index of that frame), or (None, None)."""
    best, at = None, None
    for st in rep["stacks"]:
        pf = py_frames(st)
        if pf and (same_file(pf[0][1].get("file"), prog) or pf[0][1].get("file") == prog) and \
                (best is None or st.get("bytes", 0) > best.get("bytes", 0)):
            best, at = st, pf[0][0]
    return best, at


def need_python_frames(rep, python):
    """Checked first: without any, nothing else about the report matters."""
    if not any(py_frames(st) for st in rep.get("stacks") or []):
        vs = ".".join(map(str, py_info(python)["version"]))
        raise Fail(f"no kind=python frames in the whole report: leaktrace did not walk "
                   f"CPython {vs}'s frames | " + summary(rep))


def check_python_report(rep, python, pattern, nleaked, version=None, prog=None):
    """The top suspect; checked before validate(), as the point of the test.
    version and prog (as the frames name it) for an interpreter in another
    root."""
    version = version or py_info(python)["version"]
    vs = ".".join(map(str, version))
    src = pattern + ".py"
    prog = prog or os.path.join(PYDIR, src)
    fname, line = marker(src, pattern)
    want = [fn if isinstance(fn, str) else fn[0] if version >= (3, 11) else fn[1]
            for fn in PY_PATTERNS[pattern] + PY_OUTER]
    st, at = top_suspect(rep, prog)
    if st is None:
        raise Fail(f"no stack has its innermost Python frame in {src} | " + summary(rep))
    fr = st["frames"][at]
    wrong = []
    if base(fr.get("file")) != fname or fr.get("line") != line:
        wrong.append(f"innermost Python frame at {base(fr.get('file'))}:{fr.get('line')}, "
                     f"want the marker {fname}:{line}")
    if fr.get("function") != want[0]:
        wrong.append(f"function {fr.get('function')!r}, want {want[0]!r} on CPython {vs}")
    callers = [f.get("function") for _, f in py_frames(st)][1:]
    if callers != want[1:]:
        wrong.append(f"Python callers {callers}, want {want[1:]}")
    if not os.path.isabs(fr.get("file", "")):
        wrong.append(f"file {fr.get('file')!r} is not absolute (the program was started as "
                     f"{prog})")
    if st.get("allocs", 0) < nleaked // 2:
        wrong.append(f"{st.get('allocs')} allocs, but the program leaked {nleaked} objects "
                     f"at the marker")
    if pattern == "cext":
        natives = [f for f in st["frames"][:at] if f.get("kind") == "native"
                   and f.get("function") == CEXT_FUNCTION
                   and re.fullmatch(r"leakext.*\.so", base(f.get("module")) or "")]
        if not natives:
            got = [frame_str(f) for f in st["frames"][:at]]
            wrong.append(f"no native {CEXT_FUNCTION}(leakext*.so) frame before the Python "
                         f"frame: {got or 'nothing'}")
    if wrong:
        raise Fail("top suspect: " + "; ".join(wrong) + " | " + stack_str(st, at + len(want)))


ORACLE_LINE = re.compile(r"(?m)^oracle top=(\S+):(\d+) bytes=(\d+) blocks=\d+"
                         r"(?: next=(\S+):(\d+) next_bytes=(\d+))?$")


def check_objects_report(rep, n, minor):
    objs = {o["type"]: o for o in rep.get("objects", [])}
    for typ, line_of in (("Session", "open_session"), ("Handler", "Session.__init__")):
        o = objs.get(typ)
        if not o:
            raise Fail(f"no {typ} in objects: {sorted(objs)[:12]}")
        if not n <= o["live"] <= n + 5 or o["growth"] != o["live"]:
            raise Fail(f"{typ}: live {o['live']}, growth {o['growth']}, want {n}")
        top = o.get("top_line") or {}
        fn = top.get("function", "")
        want = line_of if minor >= 11 else line_of.split(".")[-1]
        if fn != want or base(top.get("file")) != "cycles.py":
            raise Fail(f"{typ}: top line {top}, want {want} in cycles.py")


# python/newstacks.py; bytearray(n) allocates n + 1 bytes
NEWSTACKS_DEPTH, NEWSTACKS_SIZE, NEWSTACKS_LATE, NEWSTACKS_LEAK = 5, 1000, 30000, 40001
NEWSTACKS_STACKS, NEWSTACKS_KEPT = 16000, 1000


def newstacks_i(st, branch0):
    """i of a stack newstacks.py kept at down(): read back from the lines of
    the down() frames under the innermost, a call line (branch0 + 2b) per
    level; None if the stack is not one of those."""
    pf = [fr for _, fr in py_frames(st)]
    if len(pf) < NEWSTACKS_DEPTH + 2 or any(fr.get("function") != "down"
                                             for fr in pf[:NEWSTACKS_DEPTH + 1]):
        return None
    i = 0
    for d in range(NEWSTACKS_DEPTH):
        b, odd = divmod(pf[NEWSTACKS_DEPTH - d].get("line", 0) - branch0, 2)
        if odd or not 0 <= b < 8:
            raise Fail(f"down() frame at line {pf[NEWSTACKS_DEPTH - d].get('line')}, not a "
                       f"call line | " + stack_str(st, NEWSTACKS_DEPTH + 2))
        i |= b << 3 * d
    return i


def check_new_stacks_lost(rep, text, proc, n):
    """newstacks.py traced by a leaktrace held while it ran: notices lost,
    counted (rep's drops) and said (text); in proc (the report, or its
    process under -a) the kept bytearrays, the last ones made, each at the
    stack its size names, the late functions named at their lines, the n
    leaked buffers exact."""
    lost = (rep.get("drops") or {}).get("new_stacks_lost", 0)
    if lost <= 0:
        raise Fail(f"drops {rep.get('drops')}: want new_stacks_lost > 0")
    want = f"python: {lost} new stacks not signalled (ring full)"
    if want not in text:
        raise Fail(f"the text report does not say {want!r}: {tail(text, 600)}")
    with open(os.path.join(PYDIR, "newstacks.py")) as f:
        branch0 = next(n for n, ln in enumerate(f, 1) if "# BRANCH:0" in ln)
    kept = 0
    for st in proc["stacks"]:
        i = newstacks_i(st, branch0)
        # (lite mode: a pymalloc arena mapped under one of them)
        if i is None or st["bytes"] < NEWSTACKS_SIZE or st["allocator"] == "mmap":
            continue
        if st["bytes"] != NEWSTACKS_SIZE + i + 1 or st["allocs"] != 1 or \
                i < NEWSTACKS_STACKS - NEWSTACKS_KEPT:
            raise Fail(f"stack of i={i} by its lines holds {st['bytes']} B/{st['allocs']}, want "
                       f"{NEWSTACKS_SIZE + i + 1} B/1 for the last {NEWSTACKS_KEPT} i, nothing "
                       f"before | " + stack_str(st, NEWSTACKS_DEPTH + 2))
        kept += 1
    vprint(f"{lost} new-stack notices lost; {kept} kept bytearrays read back by their lines")
    if kept != NEWSTACKS_KEPT:
        raise Fail(f"{kept} of the kept bytearrays' stacks read back, want {NEWSTACKS_KEPT} | "
                   + summary(proc))
    # code objects only the lost notices named: read by the catch-up, or never
    late = set()
    for st in proc["stacks"]:
        j = st["bytes"] - NEWSTACKS_LATE - 1
        if 0 <= j < 32 and st["allocs"] == 1:
            fr = (py_frames(st) or [(0, {})])[0][1]
            if (fr.get("function"), fr.get("file"), fr.get("line")) != \
                    (f"late{j}", f"<late {j}>", j + 2):
                raise Fail(f"the bytearray of late{j} made at {frame_str(fr)}, want "
                           f"late{j}(<late {j}>:{j + 2}) | " + stack_str(st))
            late.add(j)
    if len(late) != 32:
        raise Fail(f"{len(late)} of the 32 late functions' bytearrays found | " + summary(proc))
    fname, line = marker("newstacks.py", "newstacks")
    bufs = [st for st in proc["stacks"] if st["bytes"] == st["allocs"] * NEWSTACKS_LEAK and
            py_frames(st) and py_frames(st)[0][1].get("line") == line and
            base(py_frames(st)[0][1].get("file")) == fname]
    got = (sum(st["allocs"] for st in bufs), sum(st["bytes"] for st in bufs))
    if got != (n, n * NEWSTACKS_LEAK):
        raise Fail(f"the leak at {fname}:{line}: {got[0]} allocations, {got[1]} B, want {n} x "
                   f"{NEWSTACKS_LEAK} B | " + summary(proc))


def fd_stacks_at(rep, src):
    """--fds stacks by the innermost Python frame in src (below it there may
    be the stdlib's, e.g. socket.__init__): {line: open}."""
    got = {}
    for st in (rep.get("fds") or {}).get("stacks", []):
        py = [fr for fr in st["frames"]
              if fr.get("kind") == "python" and base(fr.get("file")) == src]
        if py:
            got[py[0].get("line")] = got.get(py[0].get("line"), 0) + st["open"]
    return got


def first_suspect(rep):
    sus = sorted(suspects_of(rep), key=lambda st: -st.get("growth_bytes_per_s", 0))
    if not sus:
        raise Fail("no leak suspect | " + summary(rep))
    return sus[0]


def expect_module_under(rep, site, prefix):
    """The leaf frame of site's stack names its module as we see it (under prefix)."""
    mod = next(leaf(st).get("module") for st in rep["stacks"]
               if leaf(st).get("function") == site)
    if not mod.startswith(prefix + "/"):
        raise Fail(f"{site}'s module is {mod!r}, want it under {prefix}")


def suspects_of(rep):
    return [st for st in rep["stacks"] if st.get("suspect")]


def go_pprof(c, args):
    go = shutil.which("go")
    if not go:
        raise Skip("no go (golang-go) to read the pprof")
    env = dict(os.environ, HOME=c.tmp, GOCACHE=os.path.join(c.tmp, "gocache"),
               PPROF_TMPDIR=c.tmp)
    p = subprocess.run([go, "tool", "pprof", *args], capture_output=True, text=True, env=env,
                       timeout=120)
    if p.returncode:
        raise Fail(f"go tool pprof {' '.join(args)}: {tail(p.stderr)}")
    return p.stdout


def pprof_top(text):
    """Function names of `go tool pprof -top` rows, in order."""
    return re.findall(r"(?m)^[ \t]*[0-9.]+[a-zA-Z]*[ \t]+[0-9.]+%[ \t]+[0-9.]+%[ \t]+"
                      r"[0-9.]+[a-zA-Z]*[ \t]+[0-9.]+%[ \t]+(\S.*?)[ \t]*$", text)


def check_pprof(c, path, needs, first=None):
    """go tool pprof reads path: -raw holds every string of needs and, if
    first is given, -top by inuse_space ranks that function first."""
    raw = go_pprof(c, ["-raw", path])
    for need in needs:
        if need not in raw:
            raise Fail(f"go tool pprof -raw of {base(path)} lacks {need!r}: {tail(raw, 400)}")
    if first:
        top = pprof_top(go_pprof(c, ["-top", "-sample_index=inuse_space", path]))
        if not top or top[0] != first:
            raise Fail(f"pprof inuse_space ranks {top[:3]}, want {first} first")
