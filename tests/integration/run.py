#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Integration tests: ./leaktrace against the real programs in progs/ (C) and
python/ (CPython, one leak pattern per program; see python/README.md).

Needs root. Builds progs/ first, then prints one line per test:
    PASS integration/<name>
    FAIL integration/<name>: <why>
    SKIP integration/<name>: <why>
and exits 1 if any test failed. Expected lines come from the markers in the
program sources: /* LEAK:name */ marks a site that must be outstanding at stop,
/* FREED:name */ one that must not be; in the Python programs, # LEAK:name.

    python3 tests/integration/run.py [-v] [--keep] [--list] [NAME...]

NAME selects tests whose name contains it. -v prints each command and, for a
failed test, leaktrace's output and JSON (indented, so tests/run.sh does not
count those lines); --keep leaves a failed test's temporary directory in place.
Standard library only.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROGS = os.path.join(ROOT, "tests", "integration", "progs")
BUILD = os.path.join(PROGS, "build")
PYDIR = os.path.join(ROOT, "tests", "integration", "python")
LEAKTRACE = "./leaktrace"  # relative to ROOT, like a user would run it

ALLOCATORS = {"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
              "aligned_alloc", "memalign", "valloc", "pvalloc", "mmap"}
PY_ALLOCATOR = re.compile(r"Py(Mem_Raw|Mem|Object)_[A-Za-z]+")  # PyObject_Malloc, ...
READY_TIMEOUT = 20  # s for leaktrace to print "leaktrace: tracing"
ATTACH_DURATION = 3  # s of -d in attach mode: the programs leak within ms of the go signal
VERBOSE = False


class Fail(Exception):
    pass


class Skip(Exception):
    pass


class TestTimeout(Exception):
    pass


# --- processes -----------------------------------------------------------


class Stream:
    """Collects a pipe's lines on a thread, so nothing blocks on a full pipe."""

    def __init__(self, pipe):
        self.lines = []
        self.closed = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe):
        for raw in iter(pipe.readline, b""):
            with self.cond:
                self.lines.append(raw.decode(errors="replace"))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, regex, timeout):
        """The first line matching regex, or None at EOF or timeout."""
        pat = re.compile(regex)
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if pat.search(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    return None
                self.cond.wait(left)

    @property
    def text(self):
        with self.cond:
            return "".join(self.lines)


class Proc:
    """A child in its own session; a thread reaps it the moment it exits (a
    zombie target would still look alive to a tracer that polls the pid)."""

    def __init__(self, argv, **kw):
        if VERBOSE:
            vprint("$ " + " ".join(argv))
        self.argv = argv
        self.p = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True, **kw)
        self.pid = self.p.pid
        self.out = Stream(self.p.stdout)
        self.err = Stream(self.p.stderr)
        self.rc = None
        self.exited_at = None
        self.maxrss_kib = None  # its peak RSS (VmHWM), or its reaped children's if more
        self.waiter = threading.Thread(target=self._reap, daemon=True)
        self.waiter.start()

    def _reap(self):
        _, status, ru = os.wait4(self.pid, 0)
        self.maxrss_kib = ru.ru_maxrss
        self.rc = self.p.returncode = os.waitstatus_to_exitcode(status)
        self.exited_at = time.monotonic()

    def wait(self, timeout):
        """Exit status, or None if still running after timeout seconds."""
        self.waiter.join(timeout)
        if self.waiter.is_alive():
            return None
        # Whatever holds the pipes after exit (a launched child) must not stall us.
        self.out.thread.join(2)
        self.err.thread.join(2)
        return self.rc

    def signal(self, sig):
        if self.rc is None:
            os.kill(self.pid, sig)


def proc_table():
    """pid -> (ppid, session) for every process."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(d)] = (int(fields[1]), int(fields[3]))
    return table


def kill_tree(procs):
    """SIGKILL what we started: its session and every descendant."""
    table = proc_table()
    roots = {p.pid for p in procs}
    victims = {pid for pid, (_, sid) in table.items() if sid in roots}
    victims |= {p.pid for p in procs if p.rc is None}
    grew = True
    while grew:
        kids = {pid for pid, (ppid, _) in table.items() if ppid in victims} - victims
        victims |= kids
        grew = bool(kids)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for p in procs:
        p.wait(5)


# --- reports ---------------------------------------------------------------


def base(path):
    return os.path.basename(path) if isinstance(path, str) else None


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


# --- running leaktrace -----------------------------------------------------


class Ctx:
    """One test: a temp dir, the processes it started, helpers to run leaktrace."""

    def __init__(self, name):
        self.tmp = tempfile.mkdtemp(prefix=f"leaktrace-it-{name}-")
        self.procs = []
        self.last = None  # the last leaktrace Proc, for -v output
        self.go_at = None  # when attach() sent the go signal
        self.extra_dirs = []  # made elsewhere (inside another root), removed too

    def spawn(self, argv, **kw):
        p = Proc(argv, **kw)
        self.procs.append(p)
        return p

    def cleanup(self, remove=True):
        kill_tree(self.procs)
        if remove:
            shutil.rmtree(self.tmp, ignore_errors=True)
            for d in self.extra_dirs:
                shutil.rmtree(d, ignore_errors=True)

    def leaktrace(self, args, timeout=20, wrap=(), **kw):
        """Runs leaktrace to completion: (rc, stdout, stderr)."""
        lt = self.last = self.spawn([*wrap, LEAKTRACE] + args, **kw)
        rc = lt.wait(timeout)
        if rc is None:
            raise Fail(f"leaktrace did not exit within {timeout} s; stderr: {tail(lt.err.text)}")
        return rc, lt.out.text, lt.err.text

    def report(self, path, rc, err):
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise Fail(f"no JSON report (exit {rc}); stderr: {tail(err)}")
        except ValueError as e:
            raise Fail(f"JSON report does not parse: {e} (exit {rc}); stderr: {tail(err)}")

    def launch(self, prog, prog_args=("-q",), opts=(), want_rc=0, timeout=20):
        """leaktrace -- build/prog: the report, after checking the exit status."""
        path = os.path.join(self.tmp, "report.json")
        rc, _, err = self.leaktrace(["-t", "1000", "--json", path, *opts, "--",
                                     os.path.join(BUILD, prog), *prog_args], timeout)
        if rc != want_rc:
            raise Fail(f"leaktrace exited {rc}, want {want_rc}; stderr: {tail(err)}")
        return self.report(path, rc, err)

    def start_target(self, prog, prog_args=()):
        t = self.spawn([os.path.join(BUILD, prog), "-w", *prog_args])
        if not t.out.wait_for(r"^ready", 10):
            raise Fail(f"{prog} never got ready: {tail(t.err.text)}")
        return t

    def attach(self, target, duration=ATTACH_DURATION, opts=(), others=(), stop=None, wrap=()):
        """leaktrace -p target: waits for "leaktrace: tracing", sends the go
        signal (to the others too), waits for "done", then lets leaktrace stop
        (or calls stop(lt) to stop it). Returns the report."""
        path = os.path.join(self.tmp, "report.json")
        lt = self.last = self.spawn([*wrap, LEAKTRACE, "-p", str(target.pid), "-d", str(duration),
                                     "-t", "1000", "--json", path, *opts])
        if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
            lt.wait(1)
            raise Fail(f"no 'leaktrace: tracing' line (exit {lt.rc}); stderr: {tail(lt.err.text)}")
        self.go_at = time.monotonic()
        for t in (target, *others):
            t.signal(signal.SIGUSR1)
        for t in (target, *others):
            if not t.out.wait_for(r"^done", 10):
                raise Fail(f"{base(t.argv[0])} did not finish its work; stderr: {tail(t.err.text)}")
        if stop:
            stop(lt)
        rc = lt.wait(duration + 20)
        if rc is None:
            raise Fail(f"leaktrace -d {duration} still running after {duration + 20} s")
        if rc != 0:
            raise Fail(f"leaktrace exited {rc}; stderr: {tail(lt.err.text)}")
        return self.report(path, rc, lt.err.text)

    def expect_error(self, args, need=None, **kw):
        """leaktrace must fail with exit 1 and one 'leaktrace: ...' line."""
        rc, _, err = self.leaktrace(args, 15, **kw)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if rc != 1:
            raise Fail(f"{' '.join(args)}: exit {rc}, want 1; stderr: {tail(err)}")
        if len(lines) != 1 or not lines[0].startswith("leaktrace: "):
            raise Fail(f"{' '.join(args)}: want one 'leaktrace: ...' line, got: {tail(err)}")
        if need and not re.search(need, lines[0], re.I):
            raise Fail(f"{' '.join(args)}: message lacks {need!r}: {lines[0]}")
        return lines[0]


def tail(text, n=300):
    text = " | ".join(ln for ln in text.strip().splitlines() if ln.strip())
    return (text[:n] + " ...") if len(text) > n else (text or "(empty)")


def vprint(msg):
    for line in str(msg).splitlines():
        print("    " + line, file=sys.stderr, flush=True)


# --- tests -----------------------------------------------------------------

TESTS = []


def test(timeout=30):
    def reg(fn):
        TESTS.append((fn.__name__[2:], fn, timeout))
        return fn
    return reg


@test()
def t_leaker_launch(c):
    rep = c.launch("leaker")
    validate(rep, comm="leaker")
    check_leaker(rep)


@test()
def t_leaker_attach(c):
    t = c.start_target("leaker")
    rep = c.attach(t)
    validate(rep, comm="leaker", pid=t.pid)
    check_leaker(rep)
    if not ATTACH_DURATION - 0.5 <= rep["duration_s"] <= ATTACH_DURATION + 5:
        raise Fail(f"duration_s={rep['duration_s']} for -d {ATTACH_DURATION}")
    for st in rep["stacks"]:
        if st["oldest_age_s"] > rep["duration_s"] + 0.5:
            raise Fail(f"oldest_age_s {st['oldest_age_s']} > duration_s {rep['duration_s']}")


@test()
def t_free_all(c):
    rep = c.launch("freeall")
    validate(rep, comm="freeall")
    expect_nstacks(rep, 0)
    expect_totals(rep, 0, 0)


@test()
def t_exit_cleanup(c):
    """A C program that frees its leak in an atexit handler: the final report
    is taken as exit() begins, so the leak is in it, and it says so."""
    rep = c.launch("atexitfree")
    validate(rep, comm="atexitfree")
    expect_stack(rep, "atexitfree.c", "leak_at_exit", "atexitfree", "malloc", 4800, 100,
                 callers=["main"])
    ex = rep.get("exit") or {}
    if ex.get("frees_after", 0) < 100 or ex.get("freed_bytes_after", 0) < 4800:
        raise Fail(f"exit={ex!r}: want the atexit handler's 100 frees of 4800 B counted after")


@test()
def t_exec_attached(c):
    """-p on a process that leaks 1 MiB and then execs /bin/sleep: after the
    exec the 1 MiB is gone with the old image, said so, and no stack of it
    is left."""
    t = c.start_target("execer")
    rep = c.attach(t, duration=3)
    if t.p.poll() is not None:
        raise Fail(f"execer exited: {tail(t.err.text)}")
    left = [st for st in rep["stacks"] if leaf(st).get("function") == "leak_then_exec"]
    if left:
        raise Fail("the old image's leak is still reported after the exec | " + stack_str(left[0]))
    ex = rep.get("exec") or {}
    if ex.get("gone_bytes", 0) < 16 * 65536 or ex.get("gone_allocs", 0) < 16:
        raise Fail(f"exec={ex!r}: want the old image's 16 x 64 KiB said gone with it")
    if rep.get("comm") != "sleep":
        raise Fail(f"comm {rep.get('comm')!r}, want the new image's 'sleep'")


@test(40)
def t_exports_disk_full(c):
    """--export-every onto a full file system: each failed export is said,
    the run goes on to its final report and JSON, and the exit status is 1."""
    full = os.path.join(c.tmp, "full")
    os.makedirs(full)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full]).returncode:
        raise Fail("cannot mount a 64 KiB tmpfs")
    try:
        with open(os.path.join(full, "filler"), "wb") as f:
            try:
                f.write(b"x" * (64 << 10))
            except OSError:
                pass  # full: what we want
        path = os.path.join(c.tmp, "report.json")
        rc, out, err = c.leaktrace(["-i", "0.5", "-d", "2", "--export-every", "--flamegraph",
                                    os.path.join(full, "flame.html"), "--json", path, "--",
                                    os.path.join(BUILD, "leaker"), "-w"], 30)
    finally:
        subprocess.run(["umount", "-l", full])
    if rc != 1:
        raise Fail(f"exit {rc}, want 1 for the lost final export; stderr: {tail(err)}")
    if "cannot write" not in err or "written again at the next report" not in err:
        raise Fail(f"the failed exports are not said: {tail(err)}")
    if "final report" not in out:
        raise Fail(f"no final report: {tail(out)}")
    rep = c.report(path, 0, err)
    if "stacks" not in rep:
        raise Fail("no JSON report")


@test()
def t_realloc(c):
    check_reallocs(c.launch("reallocs"))


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


@test()
def t_allocators(c):
    check_allocators(c.launch("allocators"))


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


@test()
def t_threads(c):
    rep = c.launch("threads")
    validate(rep, comm="threads")
    expect_stack(rep, "threads.c", "worker", "threads", "malloc", 100 * 256, 100)
    expect_absent(rep, "threads.c", "reaper")
    # glibc keeps its own small blocks for new threads (the TLS dtv, from
    # ld.so) while their stacks sit in its cache: those may be reported.
    # Only the program's own allocations are known exactly.
    own = own_stacks(rep, "threads")
    if len(own) != 1:
        raise Fail(f"{len(own)} stacks allocated by threads.c code, want 1 | " + summary(rep))
    # Thread stacks and malloc arenas are glibc's own mmaps, not the program's.
    maps = [st for st in rep["stacks"] if st["allocator"] == "mmap"]
    if maps:
        raise Fail("mmap stacks in a program that maps nothing itself: "
                   + "; ".join(stack_str(st, 5) for st in maps[:3]))


@test()
def t_deep_stack(c):
    """Every frame of a deep frame-pointer chain, in order, up to the 127
    kept; from the main thread and from another thread."""
    rep = c.launch("deepstack")
    validate(rep, comm="deepstack")
    own = own_stacks(rep, "deepstack")
    fname, shallow = marker("deepstack.c", "leak_shallow")
    want = {  # the frames above the 31 (or 126) descend() calls
        ("leak_shallow", "main"): (96, 1, 2), ("leak_shallow", "thread_main"): (96, 1, 1),
        ("leak_deep", None): (320, 2, 1)}
    got = {}
    for st in own:
        fns = [fr.get("function") for fr in st["frames"]]
        leaf_fr = st["frames"][0]
        deep = fns[0] == "leak_deep"
        n = 126 if deep else 31
        caller = None if deep else (fns[n + 1] if len(fns) > n + 1 else None)
        if fns[1:n + 1] != ["descend"] * n or (deep and len(fns) != 127) or \
                (fns[0] == "leak_shallow" and leaf_fr.get("line") != shallow):
            raise Fail(f"frames {fns[:3]}...{fns[-3:]} ({len(fns)}), want {fns[0]} at "
                       f"{fname}, {n} x descend, " + ("127 in all" if deep else "its caller"))
        key = (fns[0], caller)
        if (st["bytes"], st["allocs"]) != want.get(key, (None, None))[:2]:
            raise Fail(f"{key}: {st['bytes']} B/{st['allocs']}, want {want.get(key)}")
        got[key] = got.get(key, 0) + 1
    # main calls descend(SHALLOW) from two lines: two stacks
    if got != {k: v[2] for k, v in want.items()}:
        raise Fail(f"stacks {got}, want {dict((k, v[2]) for k, v in want.items())} | "
                   + summary(rep))


# --- CFI unwinding: optimized code without frame pointers ------------------
# The oracles are elfutils' eu-stack on the target stopped right after the
# leaking allocation returned, and the same source built with frame pointers.

MAIN_TAIL = ["main", "__libc_start_call_main", "__libc_start_main", "_start"]


def fns(st):
    return [fr.get("function") for fr in st["frames"]]


def need_eu_stack():
    if not shutil.which("eu-stack"):
        subprocess.run(["apt-get", "install", "-y", "-q", "elfutils"], capture_output=True)
    if not shutil.which("eu-stack"):
        raise Skip("no eu-stack (apt-get install elfutils failed)")


def eu_stack(pid, raw=False):
    """[(address, function)] of pid's main thread, innermost first."""
    out = subprocess.run(["eu-stack", "-1", *(["-r"] if raw else []), "-p", str(pid)],
                         capture_output=True, text=True, timeout=20)
    frames = []
    for ln in out.stdout.splitlines():
        # a demangled name has spaces: "operator new(unsigned long)"
        m = re.match(r"#\d+\s+0x([0-9a-f]+)\s+(?:- 1\s+)?(.+?)\s*$", ln)
        if m:
            frames.append((int(m.group(1), 16), m.group(2).split("@")[0]))
    if not frames:
        raise Fail(f"eu-stack -p {pid} gave no frames: {tail(out.stdout + out.stderr)}")
    return frames


def wait_stopped(pid, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.02)
    raise Fail(f"pid {pid} never stopped itself")


def stacks_with(rep, leaf_fn):
    return [st for st in rep["stacks"] if fns(st) and fns(st)[0] == leaf_fn]


def one_stack(rep, leaf_fn, nbytes, allocs, want):
    got = [st for st in stacks_with(rep, leaf_fn) if st["bytes"] == nbytes]
    if len(got) != 1 or got[0]["allocs"] != allocs or fns(got[0]) != want:
        raise Fail(f"want one stack of {nbytes} B in {allocs} allocations: {want}; got "
                   + "; ".join(f"{st['bytes']} B/{st['allocs']}: {fns(st)}"
                               for st in stacks_with(rep, leaf_fn)))
    return got[0]


def check_nofp(rep, prog):
    validate(rep, comm=prog)
    one_stack(rep, "xmalloc", 3000, 3, ["xmalloc", "leak_c", "leak_b", "leak_a"] + MAIN_TAIL)
    # the loop of two calls may be unrolled into two call sites: two stacks
    threads = [st for st in stacks_with(rep, "xmalloc") if "thread_main" in fns(st)]
    want = ["xmalloc", "leak_c", "leak_b", "thread_main", "start_thread", "clone3"]
    if sum(st["bytes"] for st in threads) != 4 * 2 * 512 or \
            sum(st["allocs"] for st in threads) != 8 or any(fns(st) != want for st in threads):
        raise Fail("thread stacks: " + "; ".join(f"{st['bytes']} B: {fns(st)}" for st in threads)
                   + f"; want 4096 B in 8 allocations, each {want}")
    # 200 recursions: cut at 127 frames, said, and nothing wrong below the cut
    deep = one_stack(rep, "xmalloc", 777, 1, ["xmalloc"] + ["recurse"] * 126)
    if not deep.get("truncated"):
        raise Fail("the 200-deep stack is not marked truncated")
    if any(st.get("truncated") for st in rep["stacks"] if st is not deep):
        raise Fail("a shallow stack is marked truncated")


@test()
def t_unwind_nofp(c):
    """C -O2 without frame pointers, three calls below main through a
    malloc wrapper, from threads and 200 recursions deep."""
    check_nofp(c.launch("nofp"), "nofp")


@test()
def t_unwind_same_as_fp(c):
    """The same source with and without frame pointers: the same stacks."""
    a, b = c.launch("nofp"), c.launch("withfp")
    check_nofp(b, "withfp")
    key = lambda rep: sorted((st["bytes"], st["allocs"], tuple(fns(st)))  # noqa: E731
                             for st in rep["stacks"] if base(leaf(st).get("module")) in
                             ("nofp", "withfp"))
    if key(a) != key(b):
        raise Fail(f"stacks differ: {key(a)} vs {key(b)}")


def check_eu_stack(c, prog, leaf_fn, caller, nbytes, raw=False, args=()):
    """leaktrace -p on prog stopped at the allocation: its frames from the
    allocator's caller's caller on must be eu-stack's, address for address."""
    need_eu_stack()
    t = c.spawn([os.path.join(BUILD, prog), "-w", "stop", *args])
    if not t.out.wait_for(r"^ready", 10):
        raise Fail(f"{prog} never got ready: {tail(t.err.text)}")
    path = os.path.join(c.tmp, "report.json")
    lt = c.last = c.spawn([LEAKTRACE, "-p", str(t.pid), "-d", "3", "-t", "100", "--json", path])
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    t.signal(signal.SIGUSR1)
    wait_stopped(t.pid)
    eu = eu_stack(t.pid, raw)
    t.signal(signal.SIGCONT)
    if not t.out.wait_for(r"^done", 10):
        raise Fail(f"{prog} did not finish: {tail(t.err.text)}")
    rc = lt.wait(25)
    rep = c.report(path, rc, lt.err.text)
    got = [st for st in stacks_with(rep, leaf_fn) if st["bytes"] == nbytes]
    if len(got) != 1:
        raise Fail(f"no single {nbytes} B stack from {leaf_fn}: " + summary(rep))
    ours = [(int(fr["address"], 16), fr.get("function")) for fr in got[0]["frames"]]
    names = [f for _, f in eu]
    if caller not in names:
        raise Fail(f"eu-stack has no {caller}: {names}")
    theirs = eu[names.index(caller):]
    k = [f for _, f in ours].index(caller) if caller in [f for _, f in ours] else -1
    # the caller's frame itself is at another call (raise, not the allocator)
    if k < 0 or [f for _, f in ours[k:]] != [f for _, f in theirs] or ours[k + 1:] != theirs[1:]:
        raise Fail(f"leaktrace {[(hex(a), f) for a, f in ours]} | eu-stack "
                   f"{[(hex(a), f) for a, f in theirs]}")


@test()
def t_unwind_eu_stack_c(c):
    check_eu_stack(c, "nofp", "xmalloc", "xmalloc", 1000)


@test()
def t_unwind_cxx_new(c):
    """g++ -O2: new three calls below main, through libstdc++'s operator new
    (no frame pointer); with and without frame pointers, and as eu-stack says,
    demangled as eu-stack demangles them (and raw as it gives them with -r)."""
    new = "operator new(unsigned long)"
    want = [new, "make_c(long)", "make_b(long)", "make_a(long)"] + MAIN_TAIL
    for prog in ("newdeep", "newdeep-fp"):
        rep = c.launch(prog)
        validate(rep, comm=prog)
        st = one_stack(rep, new, 5 * 48, 5, want)
        linkage = [fr.get("linkage_name") for fr in st["frames"][:4]]
        if linkage != ["_Znwm", "_Z6make_cl", "_Z6make_bl", "_Z6make_al"]:
            raise Fail(f"linkage names {linkage}, want the mangled ones")
    check_eu_stack(c, "newdeep", new, "make_c(long)", 48)


@test()
def t_unwind_edges(c):
    """-O2 without frame pointers, the unwinder's hard cases (progs/edges.c):
    through a signal frame, past alloca, into a library without CFI (one
    guarded frame-pointer step, then a clean end), into one whose CFI is in
    .debug_frame alone, across one whose code has its CFI part in .eh_frame,
    part in .debug_frame, into a library dlopen()ed and called at once, out of
    code in anonymous memory (a JIT's), and a frame pointer that leads to a
    return address in no mapping (the walk ends there)."""
    rep = c.launch("edges")
    validate(rep, comm="edges")
    tail4 = ["in_signal"] + MAIN_TAIL
    st = one_stack(rep, "xmalloc", 1111, 1, ["xmalloc", "on_signal", "__restore_rt",
                                             "__pthread_kill_implementation", "raise"] + tail4)
    if st.get("heuristic"):
        raise Fail(f"signal stack flagged heuristic: {stack_str(st)}")
    one_stack(rep, "xmalloc", 2222, 1, ["xmalloc", "with_alloca"] + MAIN_TAIL)
    bad = one_stack(rep, "xmalloc", 4444, 1, ["xmalloc", "bad_frame"])
    if not bad.get("heuristic") or bad.get("truncated"):
        raise Fail(f"bad_frame's stack: heuristic {bad.get('heuristic')}, truncated "
                   f"{bad.get('truncated')}, want true and not")
    nocfi = [st for st in rep["stacks"] if fns(st)[:1] == ["nocfi_alloc"]]
    if len(nocfi) != 1 or nocfi[0]["bytes"] != 3333 or not nocfi[0].get("heuristic") or \
            base(nocfi[0]["frames"][0].get("module", "")) != "libnocfi.so" or \
            any(not fr.get("module") for fr in nocfi[0]["frames"]):
        raise Fail("nocfi_alloc's stack: " + "; ".join(
            f"{x['bytes']} B heuristic {x.get('heuristic')}: {stack_str(x)}" for x in nocfi))
    # CFI in .debug_frame alone (-g without unwind tables): the whole chain, no guess
    dbg = one_stack(rep, "dbgcfi_alloc", 5555, 1, ["dbgcfi_alloc", "call_dbgcfi"] + MAIN_TAIL)
    if dbg.get("heuristic"):
        raise Fail("dbgcfi_alloc's stack is marked heuristic: its .debug_frame was not used")
    # .eh_frame and .debug_frame in one library, each for part of its code
    mix = one_stack(rep, "mixeh_inner", 9999, 1,
                    ["mixeh_inner", "mixdf_mid", "mixeh_outer", "call_mixcfi"] + MAIN_TAIL)
    if mix.get("heuristic"):
        raise Fail("mixeh_inner's stack is marked heuristic: libmixcfi's .debug_frame was not "
                   "used beside its .eh_frame")
    # a library dlopen()ed and called at once: its tables are in before it runs
    deep = one_stack(rep, "deep_c", 6666, 1, ["deep_c", "deep_b", "deep_a", "call_deep"] + MAIN_TAIL)
    if deep.get("heuristic"):
        raise Fail("the dlopen()ed library was walked without its CFI")
    # code in anonymous memory (a JIT's, keeping a frame pointer): one guarded
    # frame-pointer step out of it, marked, then CFI again
    jit = [st for st in rep["stacks"] if st["bytes"] == 7777]
    if len(jit) != 1 or fns(jit[0])[1:] != ["call_jit"] + MAIN_TAIL or \
            jit[0]["frames"][0].get("module") or not jit[0].get("heuristic"):
        raise Fail("the JIT code's stack: " + "; ".join(
            f"heuristic {x.get('heuristic')}: {[frame_str(f) for f in x['frames']]}" for x in jit))
    # those, and libdbgsep's (its CFI in a debug file: t_unwind_debug_file), once
    # each; dlopen's own allocations in ld.so come besides
    ours = sorted(st["bytes"] for st in rep["stacks"] if st["bytes"] % 1111 == 0 and
                  st["bytes"] <= 8888)
    if ours != [1111 * k for k in range(1, 9)]:
        raise Fail(f"the program's stacks by size: {ours}")


def build_id_of(path):
    r = subprocess.run(["readelf", "-n", path], capture_output=True, text=True)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    if not m:
        raise Fail(f"no build id in {path}")
    return m.group(1)


@test()
def t_unwind_debug_file(c):
    """A library built without unwind tables, its .debug_frame moved into a
    debug file (objcopy --only-keep-debug, strip --strip-debug): unwound
    from that file once it is where debuggers look (/usr/lib/debug/.build-id),
    a guess without it."""
    bid = build_id_of(os.path.join(BUILD, "libdbgsep.so"))
    dst = f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug"
    env = dict(os.environ, LEAKTRACE_UNWIND_CACHE=os.path.join(c.tmp, "uw"))

    def stack():
        path = os.path.join(c.tmp, "report.json")
        rc, _, err = c.leaktrace(["-t", "1000", "--json", path, "--",
                                  os.path.join(BUILD, "edges"), "-q"], 30, env=env)
        sts = [st for st in c.report(path, rc, err)["stacks"] if st["bytes"] == 8888]
        if len(sts) != 1:
            raise Fail(f"{len(sts)} stacks of 8888 B")
        return sts[0]

    if os.path.exists(dst):
        raise Skip(f"{dst} exists already: not ours to replace")
    st = stack()
    if fns(st) != ["dbgsep_alloc"] or not st.get("heuristic"):
        raise Fail(f"without the debug file: {fns(st)}, heuristic {st.get('heuristic')}")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy(os.path.join(BUILD, "libdbgsep.debug"), dst)
    try:
        shutil.rmtree(env["LEAKTRACE_UNWIND_CACHE"])  # its table was cached without
        st = stack()
    finally:
        os.unlink(dst)
    if fns(st) != ["dbgsep_alloc", "call_dbgsep"] + MAIN_TAIL or st.get("heuristic"):
        raise Fail(f"with the debug file: {fns(st)}, heuristic {st.get('heuristic')}")


@test(90)
def t_unwind_debug_file_in_root(c):
    """The same library in a container's root (chroot), its debug file in
    that root's /usr/lib/debug/.build-id, not ours: found there."""
    bid = build_id_of(os.path.join(BUILD, "libdbgsep.so"))
    rel = f"usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug"
    if os.path.exists("/" + rel):
        raise Skip(f"/{rel} exists on the host: it would be found there")
    root = sid_root()
    inside = copy_into_root(c, root, "edges")
    for lib in ("libnocfi.so", "libdbgcfi.so", "libdbgsep.so", "libdeep.so", "libmixcfi.so"):
        shutil.copy2(os.path.join(BUILD, lib), os.path.join(root, os.path.dirname(inside)[1:]))
    dst = os.path.join(root, rel)
    made = [d for d in (os.path.dirname(dst), os.path.dirname(os.path.dirname(dst)))
            if not os.path.exists(d)]
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy(os.path.join(BUILD, "libdbgsep.debug"), dst)
    # the root has no /proc for ld.so's $ORIGIN
    env = dict(os.environ, LEAKTRACE_UNWIND_CACHE=os.path.join(c.tmp, "uw"),
               LD_LIBRARY_PATH=os.path.dirname(inside))
    path = os.path.join(c.tmp, "report.json")
    try:
        rc, _, err = c.leaktrace(["-t", "1000", "--json", path, "--", "chroot", root, inside,
                                  "-q"], 45, env=env)
    finally:
        os.unlink(dst)
        for d in made:
            os.rmdir(d)
    sts = [st for st in c.report(path, rc, err)["stacks"] if st["bytes"] == 8888]
    if len(sts) != 1:
        raise Fail(f"{len(sts)} stacks of 8888 B")
    # the root's libc has no symbol table: __libc_start_call_main is unnamed there
    got = fns(sts[0])
    if got[:3] != ["dbgsep_alloc", "call_dbgsep", "main"] or len(got) != 6 or \
            got[4:] != ["__libc_start_main", "_start"] or sts[0].get("heuristic"):
        raise Fail(f"with the debug file in the target's root: {got}, heuristic "
                   f"{sts[0].get('heuristic')}")


@test()
def t_unwind_eu_stack_signal(c):
    """An allocation in a signal handler: through the kernel's signal frame
    to the interrupted code, as eu-stack walks it (its name, __restore_rt,
    and the interrupted instruction's own line)."""
    check_eu_stack(c, "edges", "xmalloc", "on_signal", 1111, args=("signal",))


@test()
def t_unwind_eu_stack_alloca(c):
    check_eu_stack(c, "edges", "xmalloc", "with_alloca", 2222, args=("alloca",))


def rustc():
    """rustup's rustc (this kind of machine has it, not always on root's
    PATH), else Debian's."""
    for cand in (shutil.which("rustc"), os.path.expanduser("~/.cargo/bin/rustc")):
        if cand and os.access(cand, os.X_OK):
            return cand
    subprocess.run(["apt-get", "install", "-y", "-q", "rustc"], capture_output=True)
    if not shutil.which("rustc"):
        raise Fail("no rustc: neither rustup's nor Debian's (apt-get install rustc failed)")
    return shutil.which("rustc")


def build_rust(name, *flags, src="rustleak.rs"):
    """progs/src, built -O -g (a release build), into BUILD/name."""
    src, out = os.path.join(PROGS, src), os.path.join(BUILD, name)
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        r = subprocess.run([rustc(), "-O", "-g", *flags, "-o", out, src],
                           capture_output=True, text=True, cwd=BUILD)
        if r.returncode:
            raise Fail(f"rustc {name}: {tail(r.stderr)}")
    return name


def addr2line_inlines(binary, vaddr):
    """binutils' addr2line -i at vaddr: [(function, file base name, line)],
    the inlined calls innermost first, then the function they are in."""
    r = subprocess.run(["addr2line", "-C", "-f", "-i", "-e", binary, hex(vaddr)],
                       capture_output=True, text=True, timeout=20)
    ln = r.stdout.splitlines()
    out = []
    for fn, loc in zip(ln[0::2], ln[1::2]):
        file, line = loc.rsplit(":", 1)
        line = line.split()[0]
        out.append((None if fn == "??" else fn, "" if file == "??" else base(file),
                    int(line) if line.isdigit() and int(line) else None))
    return out


def symbol_vaddr(binary, name):
    r = subprocess.run(["nm", binary], capture_output=True, text=True, timeout=20)
    for ln in r.stdout.splitlines():
        f = ln.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise Fail(f"nm {binary}: no {name}")


def check_inlines_oracle(st, prog):
    """Each physical frame in build/prog with the frames inlined before it
    must be what addr2line -i gives at its call (the oracle); returns how
    many inlined frames were checked."""
    binary, n, run = os.path.join(BUILD, prog), 0, []
    for fr in st["frames"]:
        run.append(fr)
        if fr.get("inlined"):
            continue
        if base(fr.get("module", "")) == prog and fr.get("function"):
            name = fr.get("linkage_name") or fr["function"]
            vaddr = symbol_vaddr(binary, name) + fr["offset"] - 1
            ours = [(f.get("function"), base(f.get("file") or ""), f.get("line")) for f in run]
            theirs = addr2line_inlines(binary, vaddr)
            if ours != theirs:
                raise Fail(f"{prog}: {fr['function']} with its inlined calls {ours} | "
                           f"addr2line -i {theirs}")
            n += len(run) - 1
        run = []
    return n


@test(60)
def t_unwind_cxx_containers(c):
    """g++ -O2 without frame pointers: a std::vector<long> grown by
    push_back and std::strings kept, through libstdc++'s operator new and
    its code inlined into ours: whole chains, demangled, each inlined call
    where addr2line -i puts it, the same with frame pointers."""
    new = "operator new(unsigned long)"
    got = []
    for prog in ("cxxgrow", "cxxgrow-fp"):
        rep = c.launch(prog)
        validate(rep, comm=prog)
        phys = lambda st: [fr.get("function") for fr in st["frames"]  # noqa: E731
                           if not fr.get("inlined")]
        vec = [st for st in rep["stacks"] if "remember(long)" in phys(st)]
        strs = [st for st in rep["stacks"] if "keep_name(int)" in phys(st)]
        if len(vec) != 1 or (vec[0]["bytes"], vec[0]["allocs"]) != (8192, 1) or \
                len(strs) != 1 or (strs[0]["bytes"], strs[0]["allocs"]) != (1210, 10):
            raise Fail(f"{prog}: want the vector's 8192 B buffer and 10 strings of 121 B: "
                       + summary(rep))
        pv, ps = phys(vec[0]), phys(strs[0])
        if pv[0] != new or "::_M_realloc_insert<long const&>" not in pv[1] or \
                pv[2:] != ["remember(long)"] + MAIN_TAIL:
            raise Fail(f"{prog}: the vector's chain {pv}")
        if ps[0] != new or "basic_string" not in ps[1] or ps[2:] != ["keep_name(int)"] + MAIN_TAIL:
            raise Fail(f"{prog}: the strings' chain {ps}")
        for st, fn in ((vec[0], "remember"), (strs[0], "keep_name")):
            fr = next(f for f in st["frames"] if f.get("function", "").startswith(fn + "("))
            _, line = marker("cxxgrow.cpp", fn)
            if fr.get("line") != line:
                raise Fail(f"{prog}: {fr['function']} at line {fr.get('line')}, want {line}")
        if check_inlines_oracle(vec[0], prog) < 2 or check_inlines_oracle(strs[0], prog) < 1:
            raise Fail(f"{prog}: fewer inlined calls than libstdc++'s: {fns(vec[0])}")
        got.append((fns(vec[0]), fns(strs[0])))
    if got[0] != got[1]:
        raise Fail(f"without frame pointers {got[0]}, with them {got[1]}")


@test(60)
def t_unwind_rust_release(c):
    """A Rust release binary (no frame pointers, std's precompiled code
    without them too) leaking boxed slices: the whole chain from the
    allocating function to main, demangled (legacy names, hash dropped),
    the calls inlined into leak_box expanded as addr2line -i gives them (the
    leak at the user's line, not inside alloc.rs); the same stacks with
    frame pointers forced."""
    want = ["rustleak::leak_box", "rustleak::serve", "rustleak::main"]
    got = []
    for prog in (build_rust("rustleak"), build_rust("rustleak-fp", "-C", "force-frame-pointers=yes")):
        rep = c.launch(prog, prog_args=())
        validate(rep, comm=prog)
        phys = lambda st: [fr.get("function") for fr in st["frames"]  # noqa: E731
                           if not fr.get("inlined")]
        sts = [st for st in rep["stacks"] if phys(st)[:3] == want]
        if len(sts) != 1 or sts[0]["bytes"] != 40000 or sts[0]["allocs"] != 10:
            raise Fail(f"{prog}: want one stack {want}... of 40000 B in 10 allocations; got "
                       + "; ".join(f"{x['bytes']} B/{x['allocs']}: {phys(x)[:5]}"
                                   for x in rep["stacks"]))
        st = sts[0]
        names = phys(st)
        if names[-4:] != MAIN_TAIL or "std::rt::lang_start_internal" not in names:
            raise Fail(f"{prog}: the chain does not reach main through std: {names}")
        mangled = [f for x in rep["stacks"] for f in fns(x)
                   if f and (f.startswith(("_ZN", "_R")) or re.search(r"::h[0-9a-f]{16}$", f))]
        if mangled:
            raise Fail(f"{prog}: names left mangled: {mangled[:4]}")
        k = next(i for i, fr in enumerate(st["frames"]) if fr.get("function") == want[0])
        box = st["frames"][k]
        if not re.match(r"_ZN8rustleak8leak_box17h[0-9a-f]{16}E$", box.get("linkage_name", "")):
            raise Fail(f"{prog}: leak_box's linkage name {box.get('linkage_name')!r}")
        # the oracle: addr2line -i at the call's address in leak_box
        vaddr = symbol_vaddr(os.path.join(BUILD, prog), box["linkage_name"]) + box["offset"] - 1
        ours = [(fr.get("function"), base(fr.get("file") or ""), fr.get("line"))
                for fr in st["frames"][:k + 1]]
        theirs = addr2line_inlines(os.path.join(BUILD, prog), vaddr)
        if ours != theirs or len(ours) < 3 or ours[-1][1:] != ("rustleak.rs", 11):
            raise Fail(f"{prog}: frames to leak_box {ours} | addr2line -i {theirs}")
        if not all(fr.get("inlined") for fr in st["frames"][:k]) or box.get("inlined"):
            raise Fail(f"{prog}: inlined marks wrong: {[fr.get('inlined') for fr in st['frames'][:k + 1]]}")
        got.append(fns(st))
    if got[0] != got[1]:
        raise Fail(f"without frame pointers {got[0]}, with them {got[1]}")


@test(90)
def t_unwind_service_suspects(c):
    """Services without frame pointers, a C++ one (g++ -O2) and a Rust
    release build: a session leaked per request is suspect 1 with its whole
    chain, demangled, at its exact bytes; the configuration read once at
    start, larger, is no suspect."""
    cases = [
        ("cxxservice", ("-q",), ["operator new(unsigned long)", "open_session(int)", "handle(int)",
                                 "serve()", "main"], "load_config()", 256 * 1001),
        (build_rust("rustservice", src="rustservice.rs"), (),
         ["rustservice::open_session", "rustservice::handle", "rustservice::serve",
          "rustservice::main"], "rustservice::load_config", 256 * 1000),
    ]
    for prog, args, chain, config_fn, config_bytes in cases:
        path = os.path.join(c.tmp, prog + ".json")
        rc, _, err = c.leaktrace(["-i", "1", "-t", "1000", "--json", path, "--",
                                  os.path.join(BUILD, prog), *args], 60)
        rep = c.report(path, rc, err)
        validate(rep, comm=prog)
        phys = lambda st: [fr.get("function") for fr in st["frames"]  # noqa: E731
                           if not fr.get("inlined")]

        def at(st, names):
            got = phys(st)
            return any(got[i:i + len(names)] == names for i in range(len(got)))
        sus = suspects_of(rep)
        if not sus or not at(sus[0], chain) or sus[0]["bytes"] != 120 * 512 or \
                sus[0]["allocs"] != 120:
            raise Fail(f"{prog}: suspect 1 is not {chain} at 120 x 512 B: "
                       + "; ".join(f"{x['bytes']} B/{x['allocs']}: {phys(x)[:6]}" for x in sus))
        if sus[0].get("heuristic") or phys(sus[0])[-len(MAIN_TAIL):] != MAIN_TAIL:
            raise Fail(f"{prog}: the suspect's chain is guessed or cut: {phys(sus[0])}")
        config = [st for st in rep["stacks"] if config_fn in phys(st) and
                  st["bytes"] == config_bytes]
        if len(config) != 1 or config[0].get("suspect") is not False:
            raise Fail(f"{prog}: the configuration's stack ({config_bytes} B) is "
                       + (f"suspect: {config[0].get('suspect')}" if len(config) == 1 else
                          f"not there once: " + summary(rep)))


@test()
def t_unwind_cache(c):
    """Tables are built once per build id: a second run reads them all."""
    env = dict(os.environ, LEAKTRACE_UNWIND_CACHE=os.path.join(c.tmp, "uw"))
    got = []
    for _ in range(2):
        rc, _, err = c.leaktrace(["-v", "-d", "5", "--", os.path.join(BUILD, "nofp"), "-q"],
                                 env=env)
        m = re.search(r"unwind tables: (\d+) modules built in [\d.]+ ms, (\d+) from the cache", err)
        if rc or not m:
            raise Fail(f"exit {rc}, no unwind tables line: {tail(err)}")
        got.append((int(m.group(1)), int(m.group(2))))
    if got[0][0] < 3 or got[1] != (0, got[0][0] + got[0][1]):
        raise Fail(f"(built, cached) per run: {got}, want (>= 3, 0) then (0, all)")


@test()
def t_unwind_uretprobe_trampoline(c):
    """A page first written inside malloc (--rss) is walked while malloc's
    return probe is pending: its return address on the stack is the uprobe
    trampoline, replaced by the real one (xmalloc's)."""
    rep = c.launch("nofp", opts=("--rss",))
    stacks = rep.get("rss", {}).get("stacks", [])
    seen = False
    for st in stacks:
        f = fns(st)
        if any((fr.get("module") or "").startswith("[uprobes]") for fr in st["frames"]):
            raise Fail(f"a frame in the uprobes trampoline: {f}")
        if "malloc" in f and "xmalloc" in f:
            i = f.index("malloc")
            if f[i + 1:i + 4] != ["xmalloc", "leak_c", "leak_b"]:
                raise Fail(f"malloc's callers: {f[i:]}, want xmalloc, leak_c, leak_b")
            seen = True
    if not seen:
        raise Fail("no --rss stack through malloc from xmalloc: "
                   + "; ".join(str(fns(st)[:6]) for st in stacks[:8]))


@test()
def t_unwind_debian_sleep(c):
    """Debian's /bin/sleep (no frame pointers, no symbols): setlocale's
    allocations get their whole chain up to _start."""
    path = os.path.join(c.tmp, "report.json")
    rc, _, err = c.leaktrace(["-t", "100", "--json", path, "--", "/bin/sleep", "0.2"])
    rep = c.report(path, rc, err)
    for st in rep["stacks"]:
        f = fns(st)
        if "setlocale" in f:
            i = f.index("setlocale")
            tail_mods = [base(fr.get("module")) for fr in st["frames"][i + 1:]]
            if f[i + 2:i + 4] == ["__libc_start_call_main", "__libc_start_main"] and \
                    tail_mods[0] == "sleep" and tail_mods[-1] == "sleep" and len(tail_mods) == 4:
                return
            raise Fail(f"setlocale's callers: {f[i:]} in {tail_mods}")
    raise Fail("no stack through setlocale: " + summary(rep))



@test()
def t_dlopen(c):
    t = c.start_target("dlopener")
    rep = c.attach(t)
    validate(rep, comm="dlopener", pid=t.pid)
    st = expect_stack(rep, "plugin.c", "plugin_leak", "libplugin.so", "malloc", 25 * 200, 25,
                      ["call_plugin", "main"])
    if base(st["frames"][1].get("module")) != "dlopener":
        raise Fail(f"call_plugin's module is {st['frames'][1].get('module')!r}")
    own = own_stacks(rep, "libplugin.so", "dlopener")
    if len(own) != 1:
        raise Fail(f"{len(own)} stacks allocated by the program or plugin, want 1 | "
                   + summary(rep))


@test()
def t_malloc_4mib(c):
    rep = c.launch("bigalloc")
    validate(rep, comm="bigalloc")
    expect_stack(rep, "bigalloc.c", "big_alloc", "bigalloc", "malloc", 4 << 20, 1, ["main"])
    maps = [st for st in rep["stacks"] if st["allocator"] == "mmap"]
    if maps:
        raise Fail("mmap stacks, but the only mapping is malloc's own: "
                   + "; ".join(stack_str(st, 5) for st in maps[:3]))
    expect_nstacks(rep, 1)
    expect_totals(rep, 4 << 20, 1)


@test()
def t_mmap(c):
    rep = c.launch("mmapper")
    validate(rep, comm="mmapper")
    expect_stack(rep, "mmapper.c", "map_keep", "mmapper", "mmap", 65536, 1, ["main"])
    expect_absent(rep, "mmapper.c", "map_release")
    expect_nstacks(rep, 1)
    expect_totals(rep, 65536, 1)


@test()
def t_exit_mid_trace(c):
    t = c.start_target("leaker", ["-x", "7"])
    rep = c.attach(t, duration=30)
    took = c.last.exited_at - c.go_at
    if took > 10:
        raise Fail(f"leaktrace ran {took:.1f} s after its target exited (-d 30)")
    if t.wait(1) != 7:
        raise Fail(f"target exited {t.rc}, want 7")
    validate(rep, comm="leaker", pid=t.pid)
    check_leaker(rep)


@test()
def t_other_process_ignored(c):
    t = c.start_target("leaker")
    other = c.start_target("bystander")
    rep = c.attach(t, others=[other])
    validate(rep, comm="leaker", pid=t.pid)
    for st in rep["stacks"]:
        for fr in st["frames"]:
            if base(fr.get("module")) == "bystander" or \
                    str(fr.get("function", "")).startswith("bystander"):
                raise Fail(f"the other process is in the report: {stack_str(st)}")
    check_leaker(rep)


def check_stop_signal(c, sig):
    """Attached with -d 60, stopped by sig: final report and exit 0."""
    def stop(lt):
        time.sleep(0.5)
        lt.signal(sig)
    t = c.start_target("leaker")
    rep = c.attach(t, duration=60, stop=stop)
    if c.last.exited_at - c.go_at > 10:
        raise Fail(f"leaktrace took over 10 s to stop on {signal.Signals(sig).name}")
    validate(rep, comm="leaker", pid=t.pid)
    check_leaker(rep)


@test()
def t_sigint(c):
    check_stop_signal(c, signal.SIGINT)


@test()
def t_sigterm(c):
    check_stop_signal(c, signal.SIGTERM)


@test()
def t_exit_status(c):
    rep = c.launch("leaker", ["-q", "-x", "3"], want_rc=3)
    validate(rep, comm="leaker")
    check_leaker(rep)


@test()
def t_min_age(c):
    rep = c.launch("minage", opts=["--min-age", "2"])
    validate(rep, comm="minage", sums=False)
    st = expect_stack(rep, "minage.c", "early_leak", "minage", "malloc", 20 * 100, 20, ["main"])
    expect_absent(rep, "minage.c", "late_leak")
    expect_nstacks(rep, 1)
    if not 2 <= st["oldest_age_s"] <= rep["duration_s"] + 0.5:
        raise Fail(f"early_leak oldest_age_s={st['oldest_age_s']}, want 2..duration_s "
                   f"({rep['duration_s']})")


def check_text(text, where):
    missing = [f for f in ("leak_small", "leak_big") if f not in text]
    if missing:
        raise Fail(f"text report on {where} lacks {', '.join(missing)}: {tail(text)}")
    if not re.search(r"(?im)^.*outstanding", text):
        raise Fail(f"text report on {where} has no 'outstanding' line: {tail(text)}")


@test()
def t_text_report(c):
    rc, out, err = c.leaktrace(["-t", "1000", "--", os.path.join(BUILD, "leaker"), "-q"])
    if rc != 0:
        raise Fail(f"exit {rc}; stderr: {tail(err)}")
    check_text(out, "stdout")


@test()
def t_json_stdout(c):
    rc, out, err = c.leaktrace(["-t", "1000", "--json", "-", "--",
                                os.path.join(BUILD, "leaker"), "-q"])
    if rc != 0:
        raise Fail(f"exit {rc}; stderr: {tail(err)}")
    try:
        rep = json.loads(out)
    except ValueError as e:
        raise Fail(f"stdout is not one JSON document ({e}): {tail(out)}")
    validate(rep, comm="leaker")
    check_leaker(rep)
    check_text(err, "stderr")


@test()
def t_bad_pid(c):
    c.expect_error(["-d", "1", "-p", "999999999"])


@test()
def t_exited_pid(c):
    p = subprocess.run(["/bin/sh", "-c", "echo $$"], capture_output=True, text=True)
    pid = int(p.stdout)
    if os.path.exists(f"/proc/{pid}"):
        raise Skip(f"pid {pid} was reused at once")
    c.expect_error(["-d", "1", "-p", str(pid)])


@test()
def t_kernel_thread(c):
    try:
        with open("/proc/2/comm") as f:
            comm = f.read().strip()
    except OSError:
        comm = None
    if comm != "kthreadd":
        raise Skip(f"pid 2 is {comm!r}, not kthreadd")
    c.expect_error(["-d", "1", "-p", "2"])


@test()
def t_static_attach(c):
    t = c.start_target("leaker-static")
    c.expect_error(["-d", "2", "-p", str(t.pid)], need="libc")


@test()
def t_static_launch(c):
    c.expect_error(["-d", "2", "--", os.path.join(BUILD, "leaker-static"), "-q"], need="libc")


BAD_OPTIONS = [
    ["-i", "0"], ["-i", "-1"], ["-i", "abc"], ["-t", "abc"], ["-t", "0"], ["-t", "-3"],
    ["-t", "5x"], ["-d", "abc"], ["-d", "-1"], ["--min-age", "-1"], ["--min-age", "soon"],
    ["--max-allocs", "0"], ["--max-allocs", "many"], ["--max-stacks", "0"],
    ["--max-stacks", "-5"], ["-p", "abc"], ["-p", "0"], ["-p", "-4"],
    ["--sample-bytes", "0"], ["--sample-bytes", "-1"], ["--sample-bytes", "4k"],
    ["--sample-bytes", str(1 << 31)],
]


@test(timeout=90)
def t_bad_options(c):
    wrong = []
    for opts in BAD_OPTIONS:
        try:
            c.expect_error([*opts, "--", "/bin/true"] if opts[0] != "-p" else ["-d", "1", *opts])
        except Fail as e:
            wrong.append(str(e))
    if wrong:
        raise Fail(f"{len(wrong)} of {len(BAD_OPTIONS)} accepted or mis-reported: "
                   + "; ".join(wrong))


@test()
def t_unwritable_json(c):
    c.expect_error(["--json", "/nonexistent/dir/x.json", "-d", "1", "--", "/bin/true"])


@test()
def t_not_root(c):
    nobody = 65534

    def drop():
        os.setgroups([])
        os.setgid(nobody)
        os.setuid(nobody)
    if subprocess.run(["test", "-x", os.path.join(ROOT, "leaktrace")],
                      preexec_fn=drop).returncode:
        raise Skip("uid 65534 cannot execute ./leaktrace here")
    c.expect_error(["-d", "1", "--", "/bin/true"], preexec_fn=drop)


# --- Python ----------------------------------------------------------------
#
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

PY_MINORS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
DEBIAN_PYTHON = "/usr/bin/python3"
PY_ATTACH_DURATION = 2  # s; the programs leak within ~50 ms of the go signal
PY_ORACLE_MARGIN = 4  # the marker must hold this many times the next line's bytes
# pattern (= program and marker name): the Python frames of its leak, innermost
# first, as (3.11+ qualname, co_name) where they differ; then come PY_OUTER's.
PY_PATTERNS = {
    "dict_cache": [("Renderer.render", "render"), "leak"],
    "event_log": ["log_event", "leak"],
    "closure": [("install_handlers.<locals>.make_handler", "make_handler"), "install_handlers",
                "leak"],
    "lambdas": [("EventBus.subscribe", "subscribe"), "leak"],
    "cycles": [("Session.__init__", "__init__"), "open_session", "leak"],
    "cext": ["fill_buffers", "leak"],
}
PY_OUTER = ["run", "<module>"]  # prog.run(leak), called at the program's top level
CEXT_FUNCTION = "leakext_hoard"
_py_info = {}


def pyenv_versions():
    """pyenv's versions/ directory, or None."""
    for d in (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv"), "/root/.pyenv"):
        if d and os.path.isdir(os.path.join(d, "versions")):
            return os.path.join(d, "versions")
    return None


def pyenv_python(minor):
    """The newest pyenv CPython `minor`.N interpreter (not a 3.13t), or Skip."""
    vdir = pyenv_versions()
    best = None
    for name in os.listdir(vdir) if vdir else []:
        m = re.fullmatch(re.escape(minor) + r"\.(\d+)", name)
        exe = os.path.join(vdir, name, "bin", "python" + minor)
        if m and os.access(exe, os.X_OK) and (not best or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), exe)
    if not best:
        raise Skip(f"no pyenv CPython {minor}.N in {vdir or '$PYENV_ROOT or ~/.pyenv'}")
    return best[1]


def py_info(python):
    """{version, include, ext_suffix} of an interpreter."""
    if python not in _py_info:
        code = ("import json, sys, sysconfig; print(json.dumps({'version': sys.version_info[:3], "
                "'include': sysconfig.get_paths()['include'], "
                "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX')}))")
        p = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=30)
        if p.returncode:
            raise Fail(f"{python} does not run: {tail(p.stderr)}")
        info = json.loads(p.stdout)
        info["version"] = tuple(info["version"])
        _py_info[python] = info
    return _py_info[python]


def py_env(**extra):
    """The environment for a Python program: none of the PYTHON* variables
    run.py was started with (PYTHONMALLOC above all), and no .pyc files
    written into the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def build_leakext(c, python):
    """leakext.c built for this interpreter into the test's temp dir: that dir."""
    info = py_info(python)
    if not os.path.exists(os.path.join(info["include"], "Python.h")):
        raise Skip(f"no Python.h in {info['include']} for {python} (python3-dev?)")
    out = os.path.join(c.tmp, "ext")
    os.makedirs(out, exist_ok=True)
    cmd = ["gcc", "-shared", "-fPIC", "-g", "-O0", "-fno-omit-frame-pointer",
           "-I" + info["include"], os.path.join(PYDIR, "leakext.c"),
           "-o", os.path.join(out, "leakext" + (info["ext_suffix"] or ".so"))]
    if VERBOSE:
        vprint("$ " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise Fail(f"building leakext.c for {python}: {tail(p.stdout + p.stderr)}")
    return out


def py_prog_env(c, python, pattern, **extra):
    if pattern == "cext":
        extra["PYTHONPATH"] = build_leakext(c, python)
    return py_env(**extra)


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


ORACLE_LINE = re.compile(r"(?m)^oracle top=(\S+):(\d+) bytes=(\d+) blocks=\d+"
                         r"(?: next=(\S+):(\d+) next_bytes=(\d+))?$")


def check_oracle(c, python, **extra):
    """Every program under tracemalloc (PYTHON_LEAK_ORACLE=1): the line holding
    the most bytes must be its marker, with PY_ORACLE_MARGIN times the next."""
    wrong = []
    for pattern in PY_PATTERNS:
        env = py_prog_env(c, python, pattern, PYTHON_LEAK_ORACLE="1", **extra)
        src = pattern + ".py"
        argv = [python, os.path.join(PYDIR, src)]
        if VERBOSE:
            vprint("$ PYTHON_LEAK_ORACLE=1 " + " ".join(argv))
        p = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        m = ORACLE_LINE.search(p.stdout)
        if p.returncode or not m:
            wrong.append(f"{src}: exit {p.returncode}, no oracle line: {tail(p.stdout + p.stderr)}")
            continue
        if VERBOSE:
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


def add_test(name, fn, timeout=30):
    TESTS.append((name, fn, timeout))


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


# --- current CPython (3.14, 3.15) in another root ---------------------------
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


# --- runner ----------------------------------------------------------------


def on_alarm(signum, frame):
    raise TestTimeout()


def run_one(name, fn, timeout, keep):
    c = Ctx(name)
    result = f"FAIL integration/{name}: interrupted"
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            fn(c)
            result = f"PASS integration/{name}"
        except Fail as e:
            result = f"FAIL integration/{name}: {e}"
        except Skip as e:
            result = f"SKIP integration/{name}: {e}"
        except TestTimeout:
            result = f"FAIL integration/{name}: timed out after {timeout} s"
        except Exception as e:  # a harness bug must not hide the other tests
            result = f"FAIL integration/{name}: {type(e).__name__}: {e}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if VERBOSE and not result.startswith("PASS") and c.last:
            vprint(f"leaktrace exit {c.last.rc}\nstdout:\n{c.last.out.text}\n"
                   f"stderr:\n{c.last.err.text}")
            path = os.path.join(c.tmp, "report.json")
            if os.path.exists(path):
                with open(path) as f:
                    vprint("report.json:\n" + f.read())
    finally:
        kept = keep and result.startswith("FAIL")
        c.cleanup(remove=not kept)
    return result + (f" [kept {c.tmp}]" if kept else "")


# --- Python: GC objects, versions and builds --------------------------------


def attach_python(c, python, pattern, opts=(), wrap=()):
    env = py_prog_env(c, python, pattern)
    t = c.spawn([python, os.path.join(PYDIR, pattern + ".py"), "-w"], env=env)
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"{pattern}.py under {python} never got ready: {tail(t.err.text)}")
    return t, c.attach(t, duration=PY_ATTACH_DURATION, opts=opts, wrap=wrap)


def check_objects(c, minor):
    """--objects on the reference cycles: Session and Handler objects, one
    per leaked pair, each type with the Python line that made it."""
    python = pyenv_python(f"3.{minor}")
    t, rep = attach_python(c, python, "cycles", opts=("--objects",))
    check_objects_report(rep, leaked_count(t.out.text, "cycles.py"), minor)


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


for _minor in (8, 11, 13):
    add_test(f"python_objects_3.{_minor}", lambda c, m=_minor: check_objects(c, m), 60)


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


@test(60)
def t_terminal_escapes(c):
    """A target named with escape sequences (its comm and a function's name):
    the text report and the log show them as \\xNN, never raw; JSON keeps the
    names as they are."""
    from importlib import util as _u  # the program's own strings, as the oracle
    spec = _u.spec_from_file_location("evil_names", os.path.join(PYDIR, "evil_names.py"))
    evil = _u.module_from_spec(spec)
    sys.path.insert(0, PYDIR)
    spec.loader.exec_module(evil)
    python = pyenv_python("3.12")
    t, rep = attach_python(c, python, "evil_names", opts=("-v",))
    for what, text in (("stdout", c.last.out.text), ("stderr", c.last.err.text)):
        raw = [ch for ch in text if ch in "\x1b\x07" or 0x80 <= ord(ch) <= 0x9f]
        if raw:
            raise Fail(f"raw control characters on {what}: {raw[:5]} | {tail(text)}")
    if "\\x1b]0;pwned\\x07hoard\\x1b[2J (python)" not in c.last.out.text:
        raise Fail(f"the escaped function name is not in the text report: {tail(c.last.out.text)}")
    if "ev\\x1b[31mil\\x07" not in c.last.out.text:
        raise Fail(f"the escaped comm is not in the text report: {tail(c.last.out.text)}")
    names = {fr.get("function") for st in rep["stacks"] for fr in st["frames"]}
    if evil.EVIL_NAME not in names:
        raise Fail(f"JSON does not keep the function's name: {sorted(map(repr, names))[:8]}")
    if rep.get("comm") != evil.EVIL_COMM.decode():
        raise Fail(f"JSON comm {rep.get('comm')!r}, want {evil.EVIL_COMM.decode()!r}")


@test(60)
def t_fifo_swap(c):
    """A hostile target maps a copy of libpython, then puts a FIFO where the
    copy was: leaktrace opens what is mapped, never blocks on the FIFO, and
    still names the leaking line."""
    python = pyenv_python("3.12")
    lib = os.path.join(os.path.dirname(os.path.dirname(python)), "lib", "libpython3.12.so.1.0")
    d = os.path.join(c.tmp, "lib")
    os.makedirs(d)
    copy = os.path.join(d, os.path.basename(lib))
    shutil.copy(lib, copy)
    t = c.spawn([python, os.path.join(PYDIR, "dict_cache.py"), "-w"],
                env=py_env(LD_LIBRARY_PATH=d))  # before the RUNPATH
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"dict_cache.py never got ready: {tail(t.err.text)}")
    with open(f"/proc/{t.pid}/maps") as f:
        if copy not in f.read():
            raise Fail(f"the interpreter does not map the copy {copy}")
    os.unlink(copy)
    os.mkfifo(copy)
    rep = c.attach(t, duration=PY_ATTACH_DURATION)  # fails if leaktrace hangs
    need_python_frames(rep, python)
    check_python_report(rep, python, "dict_cache", leaked_count(t.out.text, "dict_cache.py"))


def host_libc():
    """The libc this interpreter runs (a path on the host)."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split(None, 5)[-1].strip()
            if re.search(r"/libc(\.so|-)", path):
                return path
    raise Skip("no libc in this interpreter's maps")


def check_symlink_swap(c, env=None):
    """swapper runs a copy of libc and maps a decoy ELF (another libc copy);
    3 s into its 10 s hot loop, while leaktrace duty-cycles the probes, it
    swaps its copy's path for a symlink to the decoy. Re-attached after that
    (twice at least), the probes come back on the copy, never on the decoy
    (whose mapping the target compares with its file every 20 ms: no int3),
    with no complaint, and its later leak is still traced."""
    libc = host_libc()
    d, dd = os.path.join(c.tmp, "lib"), os.path.join(c.tmp, "decoy")
    os.makedirs(d)
    os.makedirs(dd)
    copy, decoy = os.path.join(d, os.path.basename(libc)), os.path.join(dd, "decoy.so")
    shutil.copy(libc, copy)
    shutil.copy(libc, decoy)  # the same bytes, another inode: offsets line up
    t = c.spawn([os.path.join(BUILD, "swapper"), "-w", copy, decoy],
                env=dict(os.environ, LD_LIBRARY_PATH=d))
    ready(t)
    with open(f"/proc/{t.pid}/maps") as f:
        maps = f.read()
    if not re.search(r" r-xp .* " + re.escape(copy) + "$", maps, re.M):
        raise Fail(f"swapper does not run the libc copy {copy}")
    path = os.path.join(c.tmp, "report.json")
    lt = c.last = c.spawn([LEAKTRACE, "-p", str(t.pid), "-d", "13", "--mode", "lite", "-i", "1",
                           "-t", "1000", "--json", path, "-vv"], **({"env": env} if env else {}))
    reattach = r"^leaktrace: attached \d+ links"
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        lt.wait(1)
        raise Fail(f"no 'leaktrace: tracing' line (exit {lt.rc}); stderr: {tail(lt.err.text)}")
    t.signal(signal.SIGUSR1)
    if not t.out.wait_for(r"^swapped", 10):
        raise Fail(f"swapper did not swap its libc: {tail(t.err.text)}")
    if os.readlink(copy) != decoy:
        raise Fail(f"{copy} is not a symlink to the decoy")
    before_swap = len(re.findall(reattach, lt.err.text, re.M))
    line = t.out.wait_for(r"^traps ", 20)
    if not line:
        raise Fail(f"swapper did not finish: {tail(t.err.text)}")
    # while it still looked at its mappings
    after_swap = len(re.findall(reattach, lt.err.text, re.M)) - before_swap
    rc = lt.wait(30)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(lt.err.text)}")
    rep = c.report(path, rc, lt.err.text)
    before, after, reattached, dec = map(int, re.findall(r"\d+", line))
    if dec:
        raise Fail(f"{dec} bytes of the decoy's mapping changed: breakpoints in another file")
    ov = rep.get("overhead") or {}
    if ov.get("thinned_s", 0) < 5:  # its hot loop lasts 10 s
        raise Fail(f"overhead={ov!r}: the probes were not duty-cycled")
    if VERBOSE:
        vprint(f"re-attaches: {before_swap} before the swap, {after_swap} after; {line.strip()}")
    if after_swap < 2:  # the first may have started before it
        raise Fail(f"{after_swap} re-attaches after the swap, want 2 or more: "
                   + tail(lt.err.text, 600))
    if not before or not after:
        raise Fail(f"breakpoints seen in the copy: {before} B before the swap, {after} after "
                   f"(back {reattached} times after it); want some each")
    bad = [ln for ln in lt.err.text.splitlines() if re.search(r"cannot|error", ln, re.I)]
    if bad:
        raise Fail(f"leaktrace complained: {bad[:3]}")
    for fn in ("leak_before", "leak_after"):
        sts = [st for st in rep["stacks"] if leaf(st).get("function") == fn]
        if not sts or any(st["bytes"] != st["allocs"] * 256 for st in sts):
            raise Fail(f"{fn}: {[stack_str(st) for st in sts]}, want blocks of 256 B | "
                       + summary(rep))


@test(60)
def t_symlink_swap_duty_cycle(c):
    check_symlink_swap(c)


@test(90)
def t_symlink_swap_duty_cycle_perf(c):
    """The same through perf-event uprobes (a link per probe site)."""
    check_symlink_swap(c, dict(os.environ, LEAKTRACE_NO_UPROBE_MULTI="1"))


def crafted_plugin(c):
    """dlopener and a hostile copy of its libplugin.so in c.tmp: libc's build
    id in its note, a .debug_info claiming 5 GiB, the file grown sparse to
    7 GiB (the loader reads neither). Returns the dlopener copy."""
    d = os.path.join(c.tmp, "crafted")
    os.makedirs(d)
    exe, lib = os.path.join(d, "dlopener"), os.path.join(d, "libplugin.so")
    shutil.copy(os.path.join(BUILD, "dlopener"), exe)
    shutil.copy(os.path.join(BUILD, "libplugin.so"), lib)
    bid = bytes.fromhex(build_id_of(host_libc()))
    with open(lib, "r+b") as f:
        elf = f.read()
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
        strtab, = struct.unpack_from("<Q", elf, shoff + shstrndx * shentsize + 0x18)
        patched = set()
        for i in range(shnum):
            sh = shoff + i * shentsize
            at = strtab + struct.unpack_from("<I", elf, sh)[0]
            name = elf[at:elf.index(b"\0", at)].decode()
            off, = struct.unpack_from("<Q", elf, sh + 0x18)
            if name == ".note.gnu.build-id":
                namesz, descsz = struct.unpack_from("<II", elf, off)
                if descsz != len(bid):
                    raise Fail(f"libplugin.so's build id is {descsz} bytes, libc's {len(bid)}")
                f.seek(off + 12 + (namesz + 3 & ~3))
                f.write(bid)
                patched.add(name)
            elif name == ".debug_info":
                f.seek(sh + 0x20)  # sh_size
                f.write(struct.pack("<Q", 5 << 30))
                patched.add(name)
        if len(patched) != 2:
            raise Fail(f"libplugin.so: only {patched} found to patch")
        f.truncate(7 << 30)
    if build_id_of(lib) != bid.hex():
        raise Fail("the crafted library does not claim libc's build id")
    return exe


@test(40)
def t_crafted_sparse_plugin(c):
    """A library that lies, dlopen()ed after leaktrace attached: libc's build
    id, a .debug_info claiming 5 GiB of a sparse 7 GiB file. Its leak is
    still named (no lines: its DWARF is refused), libc's frames stay libc's."""
    t = c.spawn([crafted_plugin(c), "-w"])
    ready(t)
    rep = c.attach(t)
    hits = [st for st in rep["stacks"] if leaf(st).get("function") == "plugin_leak"]
    if len(hits) != 1:
        raise Fail(f"{len(hits)} stacks with plugin_leak() as frames[0], want 1 | " + summary(rep))
    st = hits[0]
    if (st["bytes"], st["allocs"]) != (25 * 200, 25) or \
            [fr.get("function") for fr in st["frames"][1:3]] != ["call_plugin", "main"]:
        raise Fail("plugin_leak: " + stack_str(st, 4))
    libc = os.path.realpath(host_libc())
    for st in rep["stacks"]:
        for fr in st["frames"]:
            mod = fr.get("module") or ""
            if base(mod) == "libplugin.so" and fr.get("function") != "plugin_leak" or \
                    os.path.realpath(mod) == libc and fr.get("function") in (None, "plugin_leak"):
                raise Fail(f"a frame of {mod} named {fr.get('function')!r}: " + stack_str(st, 6))


# --- unclosed files and sockets (--fds) ------------------------------------


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


# --- lite mode and its overhead budget (issue 5) ---------------------------

LITE_REPORT = ["-i", "0.5"]  # reports often enough to see a doubling dict's steps


def first_suspect(rep):
    sus = sorted(suspects_of(rep), key=lambda st: -st.get("growth_bytes_per_s", 0))
    if not sus:
        raise Fail("no leak suspect | " + summary(rep))
    return sus[0]


def check_lite(c, pattern, python, opts=("--mode", "lite")):
    """Attached in lite mode to a program that leaks for 6 s; leaktrace stops
    after 5 s, while it still leaks: the leaking line is suspect 1."""
    if not os.access(python, os.X_OK):
        raise Skip(f"no {python}")
    env = py_prog_env(c, python, pattern)
    t = c.spawn([python, os.path.join(PYDIR, pattern + ".py"), "-w"], env=env)
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"{pattern}.py under {python} never got ready: {tail(t.err.text)}")
    rep = c.attach(t, duration=5, opts=[*LITE_REPORT, *opts])
    if rep.get("mode") != "lite":
        raise Fail(f"mode {rep.get('mode')!r}, want lite")
    if not (rep.get("python") or {}).get("small_objects_unseen"):
        raise Fail(f"python={rep.get('python')!r}: lite mode must say small objects are unseen")
    need_python_frames(rep, python)
    src, line = marker(pattern + ".py", pattern)
    top = first_suspect(rep)
    pf = py_frames(top)
    if not pf or not same_file(pf[0][1].get("file"), os.path.join(PYDIR, src)) or \
            pf[0][1].get("line") != line:
        raise Fail(f"suspect 1 is {stack_str(top)}, want {src}:{line} | " + summary(rep))
    validate(rep, comm=os.path.basename(python), pid=t.pid, python=True)
    return rep, top


def check_lite_big(c, python, opts=("--mode", "lite")):
    _, top = check_lite(c, "lite_big", python, opts)
    n, nbytes = top["allocs"], top["bytes"]
    # a 4004-byte bytes object: 4037 B with its header
    if n < 50 or not n * 4033 <= nbytes <= n * 4037:
        raise Fail(f"suspect 1 holds {nbytes} B in {n} blocks, want >= 50 blocks of 4037 B")
    if PY_ALLOCATOR.match(top.get("allocator", "")):
        raise Fail(f"lite mode traced a CPython allocator: {top.get('allocator')}")


def check_lite_dict(c, python, opts=("--mode", "lite")):
    rep, top = check_lite(c, "lite_dict", python, opts)
    # the dict's one backing table, reallocated as it doubles; the report may
    # fall inside a doubling (the program still inserts when it is taken):
    # the new table made, the old one not yet freed, twice its size
    resizing = top["allocs"] == 2 and 3 * 4 * 1024 * 1024 <= top["bytes"] <= 3 * 16 << 20
    if not resizing and (top["allocs"] != 1 or top["bytes"] < 256 * 1024):
        raise Fail(f"suspect 1 holds {top['bytes']} B in {top['allocs']} blocks, want the "
                   "dict's table: 1 block of >= 256 KiB")
    if not top.get("grows_in_steps"):
        raise Fail("the dict's table is not flagged as growing in steps")
    # the tuples themselves fill pymalloc's arenas: counted apart, whole
    # arenas (256 KiB before 3.10, 1 MiB since), never listed as stacks
    arenas = rep["totals"].get("pymalloc_arenas", 0)
    nbytes = rep["totals"].get("pymalloc_arena_bytes", 0)
    if arenas < 2 or nbytes % (256 * 1024):
        raise Fail(f"pymalloc arenas: {arenas} holding {nbytes} B, want >= 2 whole arenas")
    if any(st.get("allocator") == "mmap" for st in rep["stacks"]):
        raise Fail("an mmap stack is listed: arenas not counted apart | " + summary(rep))


for _minor in range(8, 14):
    add_test(f"lite_big_3.{_minor}", lambda c, m=_minor: check_lite_big(c, pyenv_python(f"3.{m}")), 60)
    add_test(f"lite_dict_3.{_minor}", lambda c, m=_minor: check_lite_dict(c, pyenv_python(f"3.{m}")), 60)
# Debian's LTO python3: -p picks lite by itself
add_test("lite_big_debian", lambda c: check_lite_big(c, DEBIAN_PYTHON, ()), 60)
add_test("lite_dict_debian", lambda c: check_lite_dict(c, DEBIAN_PYTHON, ()), 60)


@test(60)
def t_lite_budget(c):
    """A malloc/free loop far too hot for the 5% budget: leaktrace thins its
    probes, frees too, and says so; the steady leak is still suspect 1, and
    the churned blocks, all freed, are no leak."""
    path = os.path.join(c.tmp, "report.json")
    rc, out, err = c.leaktrace(["--mode", "lite", "-i", "1", "-t", "1000",
                                "--json", path, "--", os.path.join(BUILD, "churner"), "-q"], 40)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    ov = rep.get("overhead") or {}
    if ov.get("budget_pct") != 5 or not 0 < ov.get("alloc_probe_duty", 1) < 1:
        raise Fail(f"overhead={ov!r}: want the 5% budget and thinned allocation probes")
    if ov.get("all_probes_on_pct", 0) <= 5:
        raise Fail(f"all probes on would cost {ov.get('all_probes_on_pct')}%: not too hot?")
    if "THINNED" not in out:
        raise Fail("the text report does not say the probes were thinned: " + tail(out))
    top = first_suspect(rep)
    if leaf(top).get("function") != "leak_step":
        raise Fail(f"suspect 1 is {stack_str(top)}, want leak_step | " + summary(rep))
    if top["bytes"] != top["allocs"] * 256 or top["allocs"] < 10:
        raise Fail(f"leak_step: {top['bytes']} B in {top['allocs']}, want blocks of 256 B")
    for st in rep["stacks"]:
        if leaf(st).get("function") == "churn" and (st.get("suspect") or st["allocs"] > 2):
            raise Fail(f"churn's freed blocks count as a leak: {stack_str(st)}")


@test(30)
def t_minimal_capabilities(c):
    """Root with only CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (what a
    container or a systemd unit would grant) traces exactly as full root,
    given tracefs mounted, as systemd does at boot and the DaemonSet binds
    it (here in a mount namespace of its own: the host's mounts untouched)."""
    wrap = in_mount_ns("mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs "
                       "/sys/kernel/tracing", MINIMAL_CAPS)
    t = c.start_target("leaker")
    check_leaker(c.attach(t, wrap=wrap))


MINIMAL_CAPS = "-all,+bpf,+perfmon,+sys_ptrace"


def in_mount_ns(setup, caps=None):
    """A wrap that runs leaktrace in a private mount namespace after the
    shell commands setup, with only caps (setpriv syntax) if given."""
    if not shutil.which("unshare") or (caps and not shutil.which("setpriv")):
        raise Skip("no unshare or setpriv (util-linux)")
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", setup + ' && exec "$@"', "sh"]
    if caps:
        wrap += ["setpriv", f"--inh-caps={caps}", f"--ambient-caps={caps}",
                 f"--bounding-set={caps}"]
    return wrap


@test(30)
def t_no_tracefs_minimal_capabilities(c):
    """No tracefs mounted and no CAP_SYS_ADMIN to mount it: one clear line."""
    wrap = in_mount_ns("{ ! mountpoint -q /sys/kernel/tracing || umount -l /sys/kernel/tracing; }",
                       MINIMAL_CAPS)
    t = c.start_target("leaker")
    rc, _, err = c.leaktrace(["-p", str(t.pid), "-d", "1"], 20, wrap=wrap)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if rc != 1 or len(lines) != 1 or not re.match(r"leaktrace: .*tracefs.*not permitted", lines[0]):
        raise Fail(f"exit {rc}, want 1 and one line naming tracefs; stderr: {tail(err)}")


def tracefs_mounts(pid):
    with open(f"/proc/{pid}/mounts") as f:
        return sum(1 for ln in f if ln.split()[2:3] == ["tracefs"])


def lt_progs():
    """Loaded BPF programs named as leaktrace's (lt_*)."""
    r = subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True)
    return [p for p in json.loads(r.stdout or "[]") if p.get("name", "").startswith("lt_")]


@test(40)
def t_tracefs_never_in_sight(c):
    """Where tracefs is not mounted, leaktrace (root) reads the tracepoints'
    ids from a tracefs of its own, in a mount namespace of its own: no mount
    in its namespace while it traces or after; killed with SIGKILL, nothing
    of it is left (no program loaded, no mount)."""
    unmount = "{ ! mountpoint -q /sys/kernel/tracing || umount -l /sys/kernel/tracing; }"
    seen = []
    t = c.start_target("leaker")
    rep = c.attach(t, wrap=in_mount_ns(unmount), stop=lambda lt: seen.append(tracefs_mounts(lt.pid)))
    check_leaker(rep)
    if seen != [0]:
        raise Fail(f"tracefs mounts in leaktrace's namespace while tracing: {seen}")
    if lt_progs():
        raise Fail("leaktrace's programs still loaded after it exited")
    t = c.start_target("leaker")
    lt = c.spawn([*in_mount_ns(unmount), LEAKTRACE, "-p", str(t.pid)])
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    if tracefs_mounts(lt.pid) or not lt_progs():
        raise Fail(f"while tracing: {tracefs_mounts(lt.pid)} tracefs mounts, "
                   f"{len(lt_progs())} programs")
    lt.signal(signal.SIGKILL)
    lt.wait(5)
    end = time.monotonic() + 5  # programs are freed after an RCU grace period
    while lt_progs() and time.monotonic() < end:
        time.sleep(0.1)
    if lt_progs():
        raise Fail(f"after SIGKILL, still loaded: {[p['name'] for p in lt_progs()][:6]}")


@test(30)
def t_perf_event_uprobes(c):
    """Without uprobe_multi (forced), perf-event uprobes give the same report."""
    path = os.path.join(c.tmp, "report.json")
    env = dict(os.environ, LEAKTRACE_NO_UPROBE_MULTI="1")
    rc, out, err = c.leaktrace(["-v", "-t", "1000", "--json", path, "--",
                                os.path.join(BUILD, "leaker"), "-q"], 30, env=env)
    if "through perf events" not in err:
        raise Fail(f"LEAKTRACE_NO_UPROBE_MULTI=1 still used uprobe_multi: {tail(err)}")
    check_leaker(c.report(path, rc, err))


# --- targets in any root (issue 13) ----------------------------------------

_sid_root = []


def sid_root():
    """The Debian unstable root of scripts/sid-root.sh (its own libc, glibc
    2.43), built once and cached outside the checkout."""
    if not _sid_root:
        r = subprocess.run([os.path.join(ROOT, "scripts", "sid-root.sh")],
                           capture_output=True, text=True)
        if r.returncode or not r.stdout.strip():
            raise Fail(f"scripts/sid-root.sh exited {r.returncode}: {tail(r.stderr)}")
        _sid_root.append(r.stdout.strip().splitlines()[-1])
    return _sid_root[0]


def copy_into_root(c, root, prog):
    """build/prog copied into a fresh dir of root: its path inside the root."""
    d = tempfile.mkdtemp(prefix="leaktrace-it-", dir=os.path.join(root, "tmp"))
    c.extra_dirs.append(d)
    shutil.copy2(os.path.join(BUILD, prog), d)
    return os.path.join("/", os.path.relpath(d, root), prog)


def wait_ready(t, what):
    if not t.out.wait_for(r"^ready", 10):
        raise Fail(f"{what} never got ready: {tail(t.err.text)}")
    return t


def expect_module_under(rep, site, prefix):
    """The leaf frame of site's stack names its module as we see it (under prefix)."""
    mod = next(leaf(st).get("module") for st in rep["stacks"]
               if leaf(st).get("function") == site)
    if not mod.startswith(prefix + "/"):
        raise Fail(f"{site}'s module is {mod!r}, want it under {prefix}")


class Inner:
    """A process a wrapper (unshare --fork) started: signalled by its own pid,
    heard on the wrapper's pipes (it inherited them)."""

    def __init__(self, outer, pid):
        self.pid, self.argv, self.out, self.err = pid, outer.argv, outer.out, outer.err

    def signal(self, sig):
        os.kill(self.pid, sig)


@test(60)
def t_chroot_attach(c):
    """A target chrooted into another root (with its own libc) is traced as on
    the host: its maps name its files from our root already, so
    /proc/PID/root + that path would name nothing."""
    root = sid_root()
    inside = copy_into_root(c, root, "leaker")
    t = wait_ready(c.spawn(["chroot", root, inside, "-w"]), "leaker in " + root)
    rep = c.attach(t)
    validate(rep, comm="leaker", pid=t.pid)
    check_leaker(rep)
    expect_module_under(rep, "leak_big", root)


@test(60)
def t_chroot_launch(c):
    """leaktrace -- chroot ROOT prog: chroot runs on our libc, then execs prog
    on the root's; that one is probed while prog is held at its mapping, and
    what chroot allocated before the exec is not reported."""
    root = sid_root()
    inside = copy_into_root(c, root, "leaker")
    path = os.path.join(c.tmp, "report.json")
    rc, _, err = c.leaktrace(["-t", "1000", "--json", path, "--", "chroot", root, inside, "-q"],
                             30)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}, want 0; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    validate(rep, comm="leaker")
    check_leaker(rep)
    expect_module_under(rep, "leak_big", root)


@test(60)
def t_unshare_attach(c):
    """A target in its own mount (and pid) namespace runs a binary on a tmpfs
    mounted there over a host directory, where the host has another file
    under the same name: its leaks are named from the mapped file."""
    d = os.path.join(c.tmp, "bin")
    os.mkdir(d)
    shutil.copy2(os.path.join(BUILD, "freeall"), os.path.join(d, "leaker"))  # the decoy
    script = (f'mount -t tmpfs lt-it "{d}" && cp "{BUILD}/leaker" "{d}/leaker" && '
              f'exec "{d}/leaker" -w')
    w = wait_ready(c.spawn(["unshare", "--mount", "--pid", "--fork", "sh", "-c", script]),
                   "leaker in its own namespaces")
    kids = [pid for pid, (ppid, _) in proc_table().items() if ppid == w.pid]
    if len(kids) != 1:
        raise Fail(f"unshare {w.pid} has children {kids}, want the leaker alone")
    t = Inner(w, kids[0])
    rep = c.attach(t)
    validate(rep, comm="leaker", pid=t.pid)
    check_leaker(rep)
    expect_module_under(rep, "leak_big", d)


@test(60)
def t_replaced_files(c):
    """A binary whose path another file covers after it started (a bind mount:
    the name is no "(deleted)" one, and opens the other file), and a library
    it dlopen()ed and that was renamed over before the report: both are read
    from the files mapped, not from what their names open now."""
    d = os.path.join(c.tmp, "bin")
    os.mkdir(d)
    for f in ("dlopener", "libplugin.so"):
        shutil.copy2(os.path.join(BUILD, f), d)
    t = wait_ready(c.spawn([os.path.join(d, "dlopener"), "-w"]), "dlopener")
    exe = os.path.join(d, "dlopener")
    decoy = os.path.join(c.tmp, "decoy")
    shutil.copy2(os.path.join(BUILD, "freeall"), decoy)

    def rename_over(dst, src):  # the mapped inode lives on, unnamed
        shutil.copy2(os.path.join(BUILD, src), dst + ".new")
        os.replace(dst + ".new", dst)

    r = subprocess.run(["mount", "--bind", decoy, exe], capture_output=True, text=True)
    if r.returncode:
        raise Fail(f"mount --bind {decoy} {exe}: {tail(r.stderr)}")
    try:
        rep = c.attach(t, stop=lambda lt: rename_over(os.path.join(d, "libplugin.so"), "leaker"))
    finally:
        subprocess.run(["umount", exe], capture_output=True)
    validate(rep, comm="dlopener", pid=t.pid)
    st = expect_stack(rep, "plugin.c", "plugin_leak", "libplugin.so", "malloc", 25 * 200, 25,
                      ["call_plugin", "main"])
    if st["frames"][1].get("module") != exe:
        raise Fail(f"call_plugin's module is {st['frames'][1].get('module')!r}, want {exe}")
    own = own_stacks(rep, "libplugin.so", "dlopener")
    if len(own) != 1:
        raise Fail(f"{len(own)} stacks allocated by the program or plugin, want 1 | "
                   + summary(rep))


# --- ranking, exports and the live view (issue 4) --------------------------


def suspects_of(rep):
    return [st for st in rep["stacks"] if st.get("suspect")]


@test(60)
def t_ranking(c):
    """A steady leak is suspect 1; a larger cache that filled once is none."""
    path = os.path.join(c.tmp, "report.json")
    rc, out, err = c.leaktrace(["-i", "1", "-t", "1000", "--json", path, "--",
                                os.path.join(BUILD, "ranking"), "-q"], 40)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    validate(rep, comm="ranking")
    leak = expect_stack(rep, "ranking.c", "leak_step", "ranking", "malloc", 120 * 512, 120,
                        ["main"])
    cache = expect_stack(rep, "ranking.c", "fill_cache", "ranking", "malloc", 256 * 1024, 256,
                         ["main"])
    sus = suspects_of(rep)
    if not sus or leaf(sus[0]).get("function") != "leak_step":
        raise Fail("suspects " + str([leaf(st).get("function") for st in sus])
                   + ", want leak_step first | " + summary(rep))
    if cache.get("suspect") is not False:
        raise Fail(f"the filled cache is a suspect: {stack_str(cache, 2)}")
    rate = leak.get("growth_bytes_per_s", 0)
    if not 5000 <= rate <= 15000:  # 512 B / 50 ms = 10240 B/s
        raise Fail(f"leak_step grows {rate} B/s, want about 10240")
    # text: a "Leak suspects" section led by the leak, then "Largest outstanding"
    final = out[out.find("final report"):]
    m = re.search(r"(?ms)^Leak suspects: .*?^#1 .*?\n\s+(\S+)\+", final)
    if not m or m.group(1) != "leak_step":
        raise Fail("text report: no 'Leak suspects' section led by leak_step: " + tail(out, 600))
    if not re.search(r"(?m)^Largest outstanding: ", final):
        raise Fail("text report: no 'Largest outstanding' section")


def export_paths(c):
    return {k: os.path.join(c.tmp, n) for k, n in
            (("folded", "out.folded"), ("flamegraph", "out.svg"),
             ("speedscope", "out.speedscope.json"), ("pprof", "out.pb.gz"))}


@test(60)
def t_exports(c):
    """Every export of the deterministic leaker, in one run, checked for content."""
    import xml.etree.ElementTree as ET
    import gzip
    paths = export_paths(c)
    rep = c.launch("leaker", opts=("--folded", paths["folded"], "--flamegraph", paths["flamegraph"],
                                   "--speedscope", paths["speedscope"], "--pprof", paths["pprof"]))
    check_leaker(rep)
    folded = {}
    with open(paths["folded"]) as f:
        for ln in f.read().splitlines():
            stack, n = ln.rsplit(" ", 1)
            folded[stack] = int(n)
    want = {"leak_big": 40000, "leak_small": 4800}
    for fn, n in want.items():
        hit = [v for k, v in folded.items() if k.split(";")[-1] == fn and k.split(";")[-2] == "main"]
        if hit != [n]:
            raise Fail(f"folded: {fn} (root first, leaf last after main) {hit}, want [{n}] | {folded}")
    svg = ET.parse(paths["flamegraph"]).getroot()
    text = ET.tostring(svg, encoding="unicode")
    scripts = [el for el in svg.iter() if el.tag.endswith("script")]
    if not svg.tag.endswith("svg") or "leak_big" not in text or not scripts:
        raise Fail("flame graph: not an SVG with the leaking function and its script")
    with open(paths["speedscope"]) as f:
        ss = json.load(f)
    frames = ss["shared"]["frames"]
    prof = ss["profiles"][0]
    if prof["type"] != "sampled" or prof["unit"] != "bytes":
        raise Fail(f"speedscope: profile type {prof['type']}, unit {prof['unit']}")
    if sum(prof["weights"]) != sum(folded.values()):
        raise Fail(f"speedscope weights {sum(prof['weights'])} != folded {sum(folded.values())}")
    names = {frames[s[-1]]["name"] for s in prof["samples"]}
    if "leak_big" not in names or "leak_small" not in names:
        raise Fail(f"speedscope leaf frames {names}")
    with open(paths["pprof"], "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b" or not gzip.decompress(raw):
        raise Fail("pprof: not gzipped")


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


@test(180)
def t_pprof_go_tool(c):
    """go tool pprof reads the pprof and ranks the leaking function first."""
    path = os.path.join(c.tmp, "heap.pb.gz")
    rep = c.launch("leaker", opts=("--pprof", path))
    check_leaker(rep)
    check_pprof(c, path, ("inuse_space/bytes", "alloc_objects/count", "pid:", "comm:"),
                "leak_big")
    top = pprof_top(go_pprof(c, ["-top", "-sample_index=alloc_objects", path]))
    if not top or top[0] != "leak_small":
        raise Fail(f"alloc_objects ranks {top[:3]}, want leak_small (100 objects) first")


@test(60)
def t_live_view(c):
    """--live in tmux: shows the leaking function, quits on q with the final report."""
    tmux = shutil.which("tmux")
    if not tmux:
        raise Skip("no tmux")
    sock = os.path.join(c.tmp, "tmux.sock")
    out = os.path.join(c.tmp, "after.txt")
    cmd = (f"{LEAKTRACE} --live -i 1 -- {os.path.join(BUILD, 'ranking')} -q; "
           f"echo EXIT=$? > {out}; sleep 60")
    subprocess.run([tmux, "-S", sock, "new-session", "-d", "-x", "160", "-y", "40", cmd],
                   check=True, cwd=ROOT)
    try:
        screen = ""
        for _ in range(40):
            time.sleep(0.25)
            screen = subprocess.run([tmux, "-S", sock, "capture-pane", "-p"],
                                    capture_output=True, text=True).stdout
            if "leak_step" in screen and "[q] quit" in screen:
                break
        else:
            raise Fail("live view never showed leak_step: " + tail(screen, 600))
        subprocess.run([tmux, "-S", sock, "send-keys", "q"], check=True)
        for _ in range(60):
            time.sleep(0.25)
            if os.path.exists(out) and os.path.getsize(out):
                break
        screen = subprocess.run([tmux, "-S", sock, "capture-pane", "-p", "-S", "-200"],
                                capture_output=True, text=True).stdout
        if not os.path.exists(out):
            raise Fail("leaktrace did not quit on q: " + tail(screen, 400))
        if "final report" not in screen or "leak_step" not in screen:
            raise Fail("no final report after q: " + tail(screen, 600))
    finally:
        subprocess.run([tmux, "-S", sock, "kill-server"], capture_output=True)


@test(30)
def t_live_not_a_terminal(c):
    """--live with stdout not a terminal prints plain reports."""
    rc, out, err = c.leaktrace(["--live", "-i", "1", "--", os.path.join(BUILD, "leaker"), "-q"], 20)
    if rc != 0 or "final report" not in out or "leak_big" not in out:
        raise Fail(f"exit {rc}; stdout: {tail(out)}")

# --- continuous mode: --out-dir, --push to a loopback Pyroscope stand-in (issue 6) ---------

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import receiver  # noqa: E402

NO_PROXY_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
SUMMARY = re.compile(r"continuous: (\d+) profiles, (\d+) pushed, (\d+) dropped, "
                     r"(\d+) rejected, (\d+) left")


def summary_of(err):
    m = SUMMARY.search(err)
    if not m:
        raise Fail(f"no 'continuous: ...' summary line; stderr: {tail(err)}")
    return dict(zip(("profiles", "pushed", "dropped", "rejected", "left"), map(int, m.groups())))


def spool_files(d):
    try:
        return sorted(n for n in os.listdir(d) if n.endswith(".push"))
    except FileNotFoundError:
        return []


def dir_bytes(d):
    total = 0
    for n in os.listdir(d) if os.path.isdir(d) else ():
        try:
            total += os.path.getsize(os.path.join(d, n))
        except FileNotFoundError:
            pass
    return total


def push_run(c, port, spool, prog="ranking", opts=(), during=None):
    """leaktrace --every 1 --push -- prog -q; during(lt) is polled every 20 ms
    while it runs. Returns stderr."""
    lt = c.last = c.spawn([LEAKTRACE, "--every", "1", "--push", f"http://127.0.0.1:{port}",
                           "--spool", spool, *opts, "--", os.path.join(BUILD, prog), "-q"],
                          env=NO_PROXY_ENV)
    deadline = time.monotonic() + 30
    while lt.wait(0.02) is None:
        if during:
            during(lt)
        if time.monotonic() > deadline:
            raise Fail(f"leaktrace still running after 30 s: {tail(lt.err.text)}")
    if lt.rc != 0:
        raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(lt.err.text)}")
    return lt.err.text


def check_in_order(reqs):
    """Windows follow each other: from < until, each from = the previous until."""
    w = [(int(r["query"]["from"]), int(r["query"]["until"])) for r in reqs]
    for i, (f, u) in enumerate(w):
        if not f < u:
            raise Fail(f"request {i}: from {f} not before until {u}")
        if i and f != w[i - 1][1]:
            raise Fail(f"request {i}: window {f}..{u} does not follow {w[i - 1]} (all: {w})")


@test(60)
def t_continuous_push(c):
    """-p PID --every 1 --push: each period a well-formed /ingest request, labels included;
    go tool pprof decodes the profile and ranks the leak first."""
    import gzip
    import socket
    tgt = c.start_target("leaker")
    with open(f"/proc/{tgt.pid}/cgroup") as f:
        cgroup = [ln[3:].strip() for ln in f if ln.startswith("0::")][0]
    port = receiver.free_port()
    rec = receiver.Receiver(port).start()
    spool = os.path.join(c.tmp, "spool")
    try:
        lt = c.last = c.spawn([LEAKTRACE, "-p", str(tgt.pid), "-d", "3.5", "--every", "1",
                               "--push", f"http://127.0.0.1:{port}/", "--service", "myapp",
                               "--spool", spool], env=NO_PROXY_ENV)
        if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
            raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
        tgt.signal(signal.SIGUSR1)
        if not tgt.out.wait_for(r"^done", 10):
            raise Fail("leaker did not finish its work")
        if lt.wait(25) != 0:
            raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(lt.err.text)}")
        if "mode: lite (the default for continuous use)" not in lt.out.text:
            raise Fail("continuous mode did not default to lite: " + tail(lt.out.text))
        reqs = rec.received()
    finally:
        rec.stop()
    st = summary_of(lt.err.text)
    if not 3 <= st["profiles"] <= 5 or st["pushed"] != st["profiles"] or len(reqs) != st["pushed"]:
        raise Fail(f"{len(reqs)} requests, summary {st}: want one per period (3.5 s, every 1 s)")
    name = (f"myapp{{service_name=myapp,pid={tgt.pid},comm=leaker,cgroup={cgroup},"
            f"hostname={socket.gethostname()}}}")
    for i, r in enumerate(reqs):
        q = r["query"]
        want = {"name": name, "format": "pprof", "spyName": "leaktrace"}
        bad = {k: q.get(k) for k, v in want.items() if q.get(k) != v}
        if r["path"] != "/ingest" or bad:
            raise Fail(f"request {i}: path {r['path']}, wrong {bad}; want {want}")
        if not r["content_type"].startswith("multipart/form-data"):
            raise Fail(f"request {i}: content type {r['content_type']}")
        prof = r["parts"].get("profile") or b""
        if prof[:2] != b"\x1f\x8b" or not gzip.decompress(prof):
            raise Fail(f"request {i}: the profile part is not gzip ({prof[:4]!r})")
        stc = json.loads(r["parts"].get("sample_type_config") or b"{}")
        types = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")
        if sorted(stc) != sorted(types) or any(stc[t].get("cumulative") is not False for t in types):
            raise Fail(f"request {i}: sample_type_config {stc}")
    check_in_order(reqs)
    if spool_files(spool):
        raise Fail(f"delivered profiles left in the spool: {spool_files(spool)}")
    path = os.path.join(c.tmp, "last.pb.gz")
    with open(path, "wb") as f:
        f.write(reqs[-1]["parts"]["profile"])
    check_pprof(c, path, ("inuse_space/bytes", "leak_big", "leak_small", f"pid:[{tgt.pid}]"),
                "leak_big")


@test(60)
def t_continuous_push_retry(c):
    """Receiver down for two periods, then up: every period arrives, in order."""
    port = receiver.free_port()
    rec = receiver.Receiver(port)
    spool = os.path.join(c.tmp, "spool")
    state = {}

    def bring_up(lt):
        files = spool_files(spool)
        if "up" in state or len(files) < 2:
            return
        state["up"] = []  # the windows that waited, oldest first
        for n in files:
            with open(os.path.join(spool, n), "rb") as f:
                state["up"].append(int(re.search(rb"until=(\d+)", f.readline()).group(1)))
        rec.start()

    try:
        err = push_run(c, port, spool, during=bring_up)
        reqs = rec.received()
    finally:
        rec.stop()
    if "up" not in state:
        raise Fail(f"the spool never held 2 profiles; stderr: {tail(err)}")
    st = summary_of(err)
    if "cannot push" not in err:
        raise Fail(f"the outage was not logged: {tail(err)}")
    if (len(reqs) != st["profiles"] or st["pushed"] != st["profiles"] or st["dropped"]
            or st["left"] or st["profiles"] < 5):
        raise Fail(f"{len(reqs)} requests for summary {st}; stderr: {tail(err)}")
    early = [int(r["query"]["until"]) for r in reqs[:len(state["up"])]]
    if early != state["up"]:
        raise Fail(f"the spooled windows (until {state['up']}) came as {early}")
    check_in_order(reqs)
    if spool_files(spool):
        raise Fail(f"profiles left in the spool: {spool_files(spool)}")


@test(60)
def t_continuous_push_auth(c):
    """A bearer token from LEAKTRACE_PUSH_TOKEN_FILE on every request; the
    receiver answers 403 twice (an auth outage), then 200: no profile is
    dropped, all arrive in order; the URL's password is never logged."""
    port = receiver.free_port()
    rec = receiver.Receiver(port, statuses=(403, 403)).start()
    spool = os.path.join(c.tmp, "spool")
    tok = os.path.join(c.tmp, "token")
    with open(tok, "w") as f:
        f.write("s3cr3t-t0ken\n")
    lt = c.last = c.spawn([LEAKTRACE, "--every", "1", "--push",
                           f"http://ingest:pa55w0rd@127.0.0.1:{port}", "--spool", spool, "-v",
                           "--", os.path.join(BUILD, "ranking"), "-q"],
                          env={**NO_PROXY_ENV, "LEAKTRACE_PUSH_TOKEN_FILE": tok})
    try:
        if lt.wait(40) is None:
            raise Fail(f"leaktrace still running after 40 s: {tail(lt.err.text)}")
        reqs = rec.received()
    finally:
        rec.stop()
    err = lt.err.text
    if lt.rc != 0:
        raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(err)}")
    st = summary_of(err)
    if [r["status"] for r in reqs[:2]] != [403, 403]:
        raise Fail(f"the receiver's first answers were {[r['status'] for r in reqs[:3]]}")
    ok = [r for r in reqs if r["status"] == 200]
    if st["dropped"] or st["rejected"] or st["left"] or len(ok) != st["profiles"] or \
            st["pushed"] != st["profiles"]:
        raise Fail(f"{len(ok)} delivered for summary {st}; stderr: {tail(err)}")
    check_in_order(ok)
    bad = [r["auth"] for r in reqs if r["auth"] != "Bearer s3cr3t-t0ken"]
    if bad:
        raise Fail(f"requests without the token: {bad[:3]}")
    for secret in ("pa55w0rd", "s3cr3t"):
        if secret in err or secret in lt.out.text:
            raise Fail(f"{secret!r} is in leaktrace's output: {tail(err)}")
    if "cannot push to http://***@127.0.0.1" not in err:
        raise Fail(f"the outage was not logged with the URL redacted: {tail(err)}")


@test(30)
def t_continuous_spool_unsafe(c):
    """A world-writable spool, or a symlink as the spool: refused, with why."""
    port = receiver.free_port()
    for how in ("world", "symlink"):
        spool = os.path.join(c.tmp, how)
        if how == "world":
            os.makedirs(spool)
            os.chmod(spool, 0o777)
        else:
            os.makedirs(spool + ".real", mode=0o700)
            os.symlink(spool + ".real", spool)
        rc, out, err = c.leaktrace(["--every", "1", "--push", f"http://127.0.0.1:{port}",
                                    "--spool", spool, "--", os.path.join(BUILD, "ranking"), "-q"],
                                   20, env=NO_PROXY_ENV)
        if rc == 0 or "the spool" not in err:
            raise Fail(f"{how} spool: exit {rc}, stderr {tail(err)}; want a refusal")


@test(60)
def t_continuous_spool_cap(c):
    """Receiver down: the spool stays under --spool-max, the oldest are dropped and
    counted; the next run delivers what is left first, in order."""
    port = receiver.free_port()
    spool = os.path.join(c.tmp, "spool")
    cap = 2048
    peak = [0]

    def watch(lt):
        peak[0] = max(peak[0], dir_bytes(spool))

    err = push_run(c, port, spool, opts=("--spool-max", str(cap)), during=watch)
    watch(None)
    st = summary_of(err)
    left = spool_files(spool)
    if peak[0] > cap or not left:
        raise Fail(f"spool peaked at {peak[0]} bytes (cap {cap}), {len(left)} files left")
    if (not st["dropped"] or st["pushed"] or st["left"] != len(left)
            or st["dropped"] + st["left"] != st["profiles"]):
        raise Fail(f"summary {st}, {len(left)} files left")
    if "dropped its oldest profile" not in err:
        raise Fail(f"drops not logged: {tail(err)}")
    with open(os.path.join(spool, left[-1]), "rb") as f:
        last_kept = f.readline()
    # what was kept is the newest: the last period's window ends last
    untils = []
    for n in left:
        with open(os.path.join(spool, n), "rb") as f:
            untils.append(int(re.search(rb"until=(\d+)", f.readline()).group(1)))
    if untils != sorted(untils):
        raise Fail(f"spool files out of order: {untils}")
    rec = receiver.Receiver(port).start()
    try:
        err2 = push_run(c, port, spool, prog="leaker")
        reqs = rec.received()
    finally:
        rec.stop()
    st2 = summary_of(err2)
    if "from an earlier run" not in err2 or len(reqs) != len(left) + st2["profiles"]:
        raise Fail(f"second run: {len(reqs)} requests, want {len(left)} spooled + "
                   f"{st2['profiles']} new; stderr: {tail(err2)}")
    got = [int(r["query"]["until"]) for r in reqs[:len(left)]]
    if got != untils or b"comm%3Dranking" not in last_kept:
        raise Fail(f"the spool was delivered as {got}, want {untils} first")
    if "comm=leaker" not in reqs[-1]["query"]["name"] or spool_files(spool):
        raise Fail(f"last request {reqs[-1]['query']}, spool {spool_files(spool)}")


@test(60)
def t_continuous_out_dir(c):
    """--out-dir --max-files 3: one pprof per period, never more than 3 kept, the newest."""
    import gzip
    out = os.path.join(c.tmp, "profiles")
    peak = [0]

    def ours():
        return sorted(n for n in os.listdir(out) if n.endswith(".pb.gz")) \
            if os.path.isdir(out) else []

    lt = c.last = c.spawn([LEAKTRACE, "--every", "1", "--out-dir", out, "--max-files", "3",
                           "--service", "svc", "--", os.path.join(BUILD, "ranking"), "-q"])
    while lt.wait(0.02) is None:
        peak[0] = max(peak[0], len(ours()))
    if lt.rc != 0:
        raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(lt.err.text)}")
    m = re.search(r"continuous: (\d+) profiles", lt.err.text)
    files = ours()
    if not m or int(m.group(1)) < 5 or len(files) != 3 or peak[0] > 3:
        raise Fail(f"{files} (peak {peak[0]}) after {m and m.group(0)}; want the last 3 of >= 5")
    if not all(re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z-svc-\d+\.pb\.gz", n) for n in files):
        raise Fail(f"file names {files}")
    if os.path.exists(os.path.join(out, "spool")):
        raise Fail("a spool without --push")
    with open(os.path.join(out, files[-1]), "rb") as f:
        data = gzip.decompress(f.read())
    if b"leak_step" not in data or b"fill_cache" not in data:
        raise Fail("the newest profile lacks leak_step / fill_cache")


# --- what drives RSS growth (--rss) ------------------------------------------

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
# --- sampling (issue 5) ----------------------------------------------------

SAMPLE_N = 4096
SAMPLER_LEAKS = {  # function: (allocator, exact bytes, allocations), as sampler.c makes them
    "leak_small": ("malloc", sum(200 + i * 7919 % 401 for i in range(50000)), 50000),
    "leak_large": ("calloc", sum(300 + i * 104729 % 1101 for i in range(50000)), 50000),
    "realloc_grow": ("realloc", 5000 * 3000, 5000),
}


@test(60)
def t_sample_exact_totals(c):
    """Without --sample-bytes, sampler.c's leaks are exact: the reference."""
    rep = c.launch("sampler")
    validate(rep, comm="sampler")
    for fn, (alloc, nbytes, allocs) in SAMPLER_LEAKS.items():
        expect_stack(rep, "sampler.c", fn, "sampler", alloc, nbytes, allocs, ["main"])
    expect_absent(rep, "sampler.c", "churn", "grow_start")
    expect_nstacks(rep, 3)
    expect_totals(rep, sum(v[1] for v in SAMPLER_LEAKS.values()),
                  sum(v[2] for v in SAMPLER_LEAKS.values()))


@test(180)
def t_sample_estimates(c):
    """--sample-bytes 4096: per-function bytes and allocations within 10% of
    the exact totals (each leak gets 2,500+ samples: standard errors of
    0.9-1.5%, so 10% is over 6 of them), freed blocks gone (also those realloc
    moved), the report and the pprof say it is sampled."""
    path = os.path.join(c.tmp, "report.json")
    prof = os.path.join(c.tmp, "heap.pb.gz")
    rc, out, err = c.leaktrace(["-t", "1000", "--json", path, "--pprof", prof,
                                "--sample-bytes", str(SAMPLE_N), "--",
                                os.path.join(BUILD, "sampler"), "-q"], 40)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    validate(rep, comm="sampler", mode="sampled")
    if rep.get("sample_bytes") != SAMPLE_N:
        raise Fail(f"sample_bytes={rep.get('sample_bytes')!r}, want {SAMPLE_N}")
    if "sampled mode" not in out or f"--sample-bytes {SAMPLE_N}" not in out \
            or "estimates" not in out:
        raise Fail("text report does not say it is sampled: " + tail(out, 400))
    expect_absent(rep, "sampler.c", "churn", "grow_start")
    wrong = []
    for fn, (alloc, nbytes, allocs) in SAMPLER_LEAKS.items():
        fname, line = marker("sampler.c", fn)
        hits = [st for st in rep["stacks"] if leaf(st).get("function") == fn]
        if len(hits) != 1:
            wrong.append(f"{len(hits)} stacks for {fn}, want 1")
            continue
        st = hits[0]
        fr = leaf(st)
        if (base(fr.get("file")), fr.get("line")) != (fname, line) or st["allocator"] != alloc \
                or [f.get("function") for f in st["frames"][1:2]] != ["main"]:
            wrong.append(f"{fn}: {stack_str(st)}, want {alloc} at {fname}:{line} from main")
        for what, got, want in (("bytes", st["bytes"], nbytes), ("allocs", st["allocs"], allocs)):
            if abs(got - want) > 0.1 * want:
                wrong.append(f"{fn}: {what} {got}, exact {want} ({(got - want) / want:+.1%})")
    if wrong:
        raise Fail("; ".join(wrong) + " | " + summary(rep))
    expect_nstacks(rep, 3)
    check_pprof(c, prof, ("PeriodType: space bytes", f"Period: {SAMPLE_N}\n",
                          "inuse_space/bytes"), "leak_large")


@test(60)
def t_sample_every_byte(c):
    """--sample-bytes 1 samples every allocation of 32+ bytes at weight 1
    (p = 1 - e^-32): the exact tests' programs give their exact results
    through the sampling paths (sessions, nesting, realloc, posix_memalign)."""
    opts = ("--sample-bytes", "1")
    rep = c.launch("leaker", opts=opts)
    validate(rep, comm="leaker", mode="sampled")
    check_leaker(rep)
    check_reallocs(c.launch("reallocs", opts=opts), mode="sampled")
    check_allocators(c.launch("allocators", opts=opts), mode="sampled")


# --- system-wide (-a) ------------------------------------------------------


def start_all(c, opts, duration, name="sys", env=None):
    """leaktrace -a ... --json, once it traces: (Proc, json path)."""
    path = os.path.join(c.tmp, name + ".json")
    lt = c.last = c.spawn([LEAKTRACE, "-a", "-d", str(duration), "-i", "1", "-t", "1000",
                           "--json", path, *opts], **({"env": env} if env else {}))
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        lt.wait(1)
        raise Fail(f"no 'leaktrace: tracing' line (exit {lt.rc}); stderr: {tail(lt.err.text)}")
    return lt, path


def finish_all(c, lt, path, duration):
    rc = lt.wait(duration + 30)
    if rc is None:
        raise Fail(f"leaktrace -a -d {duration} still running after {duration + 30} s")
    if rc != 0:
        raise Fail(f"leaktrace -a exited {rc}; stderr: {tail(lt.err.text)}")
    rep = c.report(path, rc, lt.err.text)
    if rep.get("version") != 1 or rep.get("system_wide") is not True or \
            not isinstance(rep.get("processes"), list):
        raise Fail("not a system-wide report: " + str({k: rep.get(k) for k in
                                                      ("version", "system_wide")}))
    return rep


def sys_proc(rep, pid):
    """The live process pid in a system-wide report, or None."""
    ps = [p for p in rep["processes"] if p["pid"] == pid and not p["gone"]]
    return ps[0] if ps else None


def ready(*targets):
    for t in targets:
        if not t.out.wait_for(r"^ready", 20):
            raise Fail(f"{base(t.argv[-2] if t.argv[-1] == '-w' else t.argv[0])} never got "
                       f"ready: {tail(t.err.text)}")


def go(*targets):
    ready(*targets)
    for t in targets:
        t.signal(signal.SIGUSR1)


def check_ranking_proc(rep, pid):
    """The C leaker of -a's tests: leak_step is its suspect 1, exactly 512 B
    per block; the cache it filled once is no suspect."""
    p = sys_proc(rep, pid)
    if not p:
        raise Fail(f"ranking (pid {pid}) is not among the processes: "
                   + str([(q["pid"], q["comm"]) for q in rep["processes"]][:20]))
    if p["comm"] != "ranking" or p["suspects"] < 1:
        raise Fail(f"pid {pid}: comm {p['comm']!r}, {p['suspects']} suspects")
    top = first_suspect(p)
    src, line = marker("ranking.c", "leak_step")
    fr = leaf(top)
    if fr.get("function") != "leak_step" or fr.get("line") != line:
        raise Fail(f"ranking's suspect 1 is {stack_str(top)}, want leak_step ranking.c:{line}")
    if top["allocs"] < 40 or top["bytes"] != 512 * top["allocs"]:
        raise Fail(f"leak_step holds {top['bytes']} B in {top['allocs']} blocks, want >= 40 "
                   "blocks of exactly 512 B")
    cache = expect_stack(p, "ranking.c", "fill_cache", "ranking", "malloc", 256 * 1024, 256,
                         ["main"])
    if cache.get("suspect") is not False:
        raise Fail("ranking's filled cache is a suspect")
    return p


@test(90)
def t_system_wide(c):
    """-a, lite by default: a C and a Python leaker started after it are
    found with their leaking function and line; a busy process that frees
    everything is no suspect; leaktrace itself is not traced."""
    python = pyenv_python("3.12")
    if not os.access(python, os.X_OK):
        raise Skip(f"no {python}")
    lt, path = start_all(c, ["--max-overhead", "0"], 10)
    leaker = c.spawn([os.path.join(BUILD, "ranking"), "-w"])
    busy = c.spawn([os.path.join(BUILD, "busy"), "-w"])
    py = c.spawn([python, os.path.join(PYDIR, "lite_big.py"), "-w"],
                 env=py_prog_env(c, python, "lite_big"))
    go(leaker, busy, py)
    rep = finish_all(c, lt, path, 10)
    if rep.get("mode") != "lite" or rep.get("mode_reason") != "the default for -a":
        raise Fail(f"mode {rep.get('mode')!r} ({rep.get('mode_reason')!r}), want lite, "
                   "the default for -a")
    check_ranking_proc(rep, leaker.pid)
    p = sys_proc(rep, py.pid)
    if not p or p["suspects"] < 1:
        raise Fail(f"the Python leaker (pid {py.pid}) is not a suspect process: {p and p['comm']}")
    if (p.get("python") or {}).get("version") != "3.12":
        raise Fail(f"pid {py.pid}: python={p.get('python')!r}, want CPython 3.12 found")
    top = first_suspect(p)
    src, line = marker("lite_big.py", "lite_big")
    pf = py_frames(top)
    if not pf or not same_file(pf[0][1].get("file"), os.path.join(PYDIR, src)) or \
            pf[0][1].get("line") != line:
        raise Fail(f"the Python leaker's suspect 1 is {stack_str(top)}, want {src}:{line}")
    if top["allocs"] < 50 or not top["allocs"] * 4033 <= top["bytes"] <= top["allocs"] * 4037:
        raise Fail(f"lite_big.py:{line} holds {top['bytes']} B in {top['allocs']} blocks")
    b = sys_proc(rep, busy.pid)
    if b and (b["suspects"] or suspects_of(b)):
        raise Fail(f"the busy process is a suspect: {[stack_str(st) for st in suspects_of(b)]}")
    if not busy.out.text.count("busy rounds done") and b is None and \
            not any(q["pid"] == busy.pid for q in rep["processes"]):
        vprint("busy held nothing at the end (not listed)")
    if any(q["pid"] == lt.pid for q in rep["processes"]):
        raise Fail("leaktrace traced itself")
    if rep["processes"][0]["pid"] not in (leaker.pid, py.pid):
        raise Fail(f"process 1 is {rep['processes'][0]['comm']}, want one of the leakers")


def cgroup2_root():
    """Where cgroup v2 is mounted (/sys/fs/cgroup, or .../unified), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.split()[0] == "cgroup2":
                return pre.split()[4]
    return None


def libc_breakpoints(pid):
    """Bytes of pid's libc code that differ from the file it maps: the
    uprobes' breakpoints placed in that process."""
    for ln in open(f"/proc/{pid}/maps"):
        f = ln.split()
        if len(f) < 6 or "x" not in f[1] or not os.path.basename(f[5]).startswith("libc.so"):
            continue
        start, end = (int(x, 16) for x in f[0].split("-"))
        with open(f"/proc/{pid}/map_files/{f[0]}", "rb") as fh:
            fh.seek(int(f[2], 16))
            disk = fh.read(end - start)
        with open(f"/proc/{pid}/mem", "rb") as mem:
            mem.seek(start)
            live = mem.read(len(disk))
        return sum(a != b for a, b in zip(disk, live))
    raise Fail(f"no libc code mapping in pid {pid}")


@test(90)
def t_system_wide_filter_links(c):
    """-a with a filter places probes only in the processes it chooses: a
    matching process has breakpoints in its libc, another process on the
    same libc none at all (its code is the file's, byte for byte); one that
    starts matching later (an exec) gets its own at once, and its leak is
    reported whole; one that exits has its links detached."""
    ranking, busy = os.path.join(BUILD, "ranking"), os.path.join(BUILD, "busy")
    early = c.spawn([ranking, "-w"])
    other = c.spawn([busy, "-w"])
    ready(early, other)
    before = libc_breakpoints(other.pid)
    lt, path = start_all(c, ["--max-overhead", "0", "--comm", "ranking", "-vv"], 10)
    late = c.spawn([ranking, "-w"])
    ready(late)
    if not lt.err.wait_for(rf"pid {late.pid}: allocator probes on ", 5):
        raise Fail(f"no probes for the process started later (pid {late.pid}): "
                   + tail(lt.err.text))
    got = {"matching": libc_breakpoints(early.pid), "started later": libc_breakpoints(late.pid),
           "not matching": libc_breakpoints(other.pid) - before}
    if not got["matching"] or not got["started later"] or got["not matching"]:
        raise Fail(f"bytes changed in libc's code: {got}; want some in the matching "
                   "processes, none in the other")
    go(early, other, late)
    c.spawn([ranking, "-q"])  # matches, leaks for ~6 s and exits while traced
    rep = finish_all(c, lt, path, 10)
    check_ranking_proc(rep, early.pid)
    check_ranking_proc(rep, late.pid)
    if any(q["comm"] != "ranking" for q in rep["processes"] + rep["exited"]):
        raise Fail("--comm ranking traced " + str(sorted({q["comm"] for q in rep["processes"]})))
    if not re.search(r"links of 1 exited processes detached", lt.err.text):
        raise Fail("the exited processes' links were not detached: " + tail(lt.err.text))


@test(90)
def t_system_wide_filter_links_fork(c):
    """--pid PARENT: a child the parent forks after tracing began (and which
    then execs) gets probes of its own at once; its leak is reported whole."""
    ranking = os.path.join(BUILD, "ranking")
    flag = os.path.join(c.tmp, "go")
    sh = c.spawn(["sh", "-c", f'while [ ! -e "{flag}" ]; do sleep 0.05; done; "{ranking}" -w; true'])
    lt, path = start_all(c, ["--max-overhead", "0", "--pid", str(sh.pid), "-vv"], 10)
    open(flag, "w").close()
    if not sh.out.wait_for(r"^ready", 10):
        raise Fail("the forked ranking never got ready: " + tail(sh.err.text))
    kids = [pid for pid, (ppid, _) in proc_table().items() if ppid == sh.pid]
    if len(kids) != 1:
        raise Fail(f"sh {sh.pid} has children {kids}, want ranking alone")
    kid = Inner(sh, kids[0])
    if not lt.err.wait_for(rf"pid {kid.pid}: allocator probes on ", 5):
        raise Fail(f"no probes of its own for the child (pid {kid.pid}): " + tail(lt.err.text))
    if not libc_breakpoints(kid.pid):
        raise Fail("no breakpoint in the child's libc")
    go(kid)
    rep = finish_all(c, lt, path, 10)
    check_ranking_proc(rep, kid.pid)


@test(90)
def t_system_wide_filters(c):
    """--cgroup sees the process inside the cgroup and not the same program
    outside it; --comm (a second tracer at the same time) sees both and
    nothing else; --pid (a third) that one process only; --uid (a fourth)
    the one started as nobody."""
    root = cgroup2_root()
    if not root:
        raise Skip("no cgroup v2")
    cg = os.path.join(root, f"leaktrace-test-{os.getpid()}")
    os.mkdir(cg)
    try:
        lt, path = start_all(c, ["--max-overhead", "0", "--cgroup", cg], 8, "cg")
        lt2, path2 = start_all(c, ["--max-overhead", "0", "--comm", "ranking"], 8, "comm")
        lt4, path4 = start_all(c, ["--max-overhead", "0", "--uid", "nobody"], 8, "uid")
        ranking = os.path.join(BUILD, "ranking")
        inside = c.spawn(["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec {ranking} -w'])
        outside = c.spawn([ranking, "-w"])
        busy = c.spawn([os.path.join(BUILD, "busy"), "-w"])
        nobody = c.spawn(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                          ranking, "-w"])
        ready(inside, outside, busy, nobody)
        # --pid: of the processes already running, that one only
        lt3, path3 = start_all(c, ["--max-overhead", "0", "--pid", str(outside.pid)], 8, "pid")
        go(inside, outside, busy, nobody)
        rep = finish_all(c, lt, path, 8)
        rep2 = finish_all(c, lt2, path2, 8)
        rep3 = finish_all(c, lt3, path3, 8)
        rep4 = finish_all(c, lt4, path4, 8)
        check_ranking_proc(rep, inside.pid)
        rel = "/" + os.path.basename(cg)
        if sys_proc(rep, outside.pid):
            raise Fail("--cgroup traced the process outside the cgroup")
        strays = [(q["pid"], q["comm"], q["cgroup"]) for q in rep["processes"] + rep["exited"]
                  if q["cgroup"] and not q["cgroup"].startswith(rel)]
        if strays:
            raise Fail(f"--cgroup {cg} traced processes outside it: {strays[:5]}")
        check_ranking_proc(rep2, inside.pid)
        check_ranking_proc(rep2, outside.pid)
        others = {q["comm"] for q in rep2["processes"]} - {"ranking"}
        if others:
            raise Fail(f"--comm ranking traced {sorted(others)}")
        check_ranking_proc(rep3, outside.pid)
        others = {(q["pid"], q["comm"]) for q in rep3["processes"] + rep3["exited"]
                  if q["pid"] != outside.pid}
        if others:
            raise Fail(f"--pid {outside.pid} traced {sorted(others)[:5]}")
        check_ranking_proc(rep4, nobody.pid)
        others = {(q["pid"], q["comm"]) for q in rep4["processes"] if q["pid"] != nobody.pid}
        if others:
            raise Fail(f"--uid nobody traced root's {sorted(others)[:5]}")
    finally:
        kill_tree(c.procs)
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.1)


def map_ids_of(pid):
    """{map name: id} of the BPF maps process pid holds."""
    ids = set()
    fd_dir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fd_dir):
        try:
            with open(os.path.join(fd_dir, fd)) as f:
                m = re.search(r"(?m)^map_id:\s+(\d+)", f.read())
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    out = subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True, text=True)
    return {m["name"]: m["id"] for m in json.loads(out.stdout or "[]") if m["id"] in ids}


def map_tgids(map_id, field):
    """The tgids in a map's keys (field "tgid" of a struct key, or the key)."""
    out = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(map_id)],
                         capture_output=True, text=True)
    tgids = set()
    for e in json.loads(out.stdout or "[]"):
        k = (e.get("formatted") or e).get("key")
        tgids.add(k[field] if field else k)
    return tgids


@test(120)
def t_system_wide_short_lived(c):
    """1,000 processes start and exit under -a: each is reported gone once,
    leaktrace's memory stays flat, and nothing of them is left in the maps
    (lt_procs, lt_allocs, lt_agg)."""
    # only the short-lived ones (and their shells): what else runs here
    # (this runner, say) would load symbol tables into the heap measured
    lt, path = start_all(c, ["--max-overhead", "0", "--comm", "sh", "--comm", "true",
                             "--comm", "leaker"], 60)

    def tracer_line():
        m = re.findall(r"(?m)^tracer: (\d+) process images known, heap (\d+) KiB", lt.out.text)
        return (int(m[-1][0]), int(m[-1][1]), len(m)) if m else (None, None, 0)

    def batch(n, leakers=0, known_max=None):
        """n x /bin/true, then the leaker (exits holding 110 blocks): the
        tracer's heap and process count once two reports (the gone reported,
        then purged) have passed, and at most known_max images are known
        (within 15 s: a loaded machine's reports come late)."""
        leaker = os.path.join(BUILD, "leaker")
        script = f"for i in $(seq {n}); do /bin/true; done; " \
                 f"for i in $(seq {leakers}); do {leaker} -q; done"
        if subprocess.run(["sh", "-c", script]).returncode:
            raise Fail("the short-lived processes failed")
        nrep, end = tracer_line()[2], time.monotonic() + 15
        time.sleep(2.5)
        while True:
            known, heap, k = tracer_line()
            if known is None:
                raise Fail("no 'tracer:' line in the reports: " + tail(lt.out.text))
            if (k >= nrep + 2 and (known_max is None or known <= known_max)) or \
                    time.monotonic() > end:
                return known, heap
            time.sleep(0.25)

    known1, heap1 = batch(150, 50)
    known2, heap2 = batch(750, 50, known1 + 20)
    if heap2 - heap1 > 4096 or known2 > known1 + 20:
        raise Fail(f"leaktrace holds {known1} images in {heap1} KiB of heap after 200 "
                   f"processes, {known2} in {heap2} KiB after 1000")
    vprint(f"heap {heap1} -> {heap2} KiB, {known1} -> {known2} images known")
    ids = map_ids_of(lt.pid)
    if not {"lt_procs", "lt_allocs", "lt_agg"} <= set(ids):
        raise Fail(f"leaktrace's maps not found: {sorted(ids)}")
    left = {name: map_tgids(ids[name], field) for name, field in
            (("lt_procs", None), ("lt_allocs", "tgid"), ("lt_agg", "tgid"))}
    lt.signal(signal.SIGINT)
    rep = finish_all(c, lt, path, 60)
    # each is two images, the shell's fork and what it exec'd; the JSON keeps
    # the last 1024
    gone = [e for e in rep["exited"] if e["comm"] in ("true", "leaker")]
    pids = {e["pid"] for e in gone}  # exited for good (not merely exec'd)
    if rep["exited_total"] < 2000 or len({e["pid"] for e in gone}) < 400:
        raise Fail(f"{rep['exited_total']} images reported gone, {len(gone)} of them listed "
                   "as true or leaker: want the 1000 short-lived processes")
    leakers = [e for e in gone if e["comm"] == "leaker"]
    # what it exits holding: its 110 blocks, and the C runtime's own maps
    held = [(e["outstanding_bytes"] - e["mmap_bytes"], e["outstanding_allocs"] - e["mmap_allocs"])
            for e in leakers]
    if len(leakers) < 40 or any(h != (100 * 48 + 10 * 4000, 110) for h in held):
        raise Fail(f"{len(leakers)} leakers reported gone, holding (B, blocks) besides mmaps "
                   f"{[h for h in held if h != (44800, 110)][:5]}: want (44800, 110) each")
    for name, tgids in left.items():
        stale = {t for t in tgids & pids if not os.path.exists(f"/proc/{t}")}
        if stale:
            raise Fail(f"{name} still holds {len(stale)} exited pids, e.g. {sorted(stale)[:5]}")



@test(120)
def t_system_wide_continuous(c):
    """-a --continuous: a pprof per process per period, in --out-dir named
    after it and pushed labelled with it (--hostname too); go tool pprof
    reads them."""
    out = os.path.join(c.tmp, "profiles")
    port = receiver.free_port()
    rec = receiver.Receiver(port).start()
    try:
        lt, path = start_all(c, ["--comm", "ranking", "--every", "1", "--out-dir", out,
                                 "--push", f"http://127.0.0.1:{port}/", "--hostname", "node-7"],
                             7)
        a = c.spawn([os.path.join(BUILD, "ranking"), "-w"])
        b = c.spawn([os.path.join(BUILD, "ranking"), "-w"])
        go(a, b)
        finish_all(c, lt, path, 7)
        reqs = rec.received()
    finally:
        rec.stop()
    files = sorted(os.listdir(out)) if os.path.isdir(out) else []
    for t in (a, b):
        mine = [n for n in files if re.fullmatch(rf"\d{{8}}T\d{{6}}\.\d{{3}}Z-ranking-{t.pid}\.pb\.gz", n)]
        if len(mine) < 3:
            raise Fail(f"{len(mine)} profiles of ranking pid {t.pid} in {files[:8]}; want one a period")
        check_pprof(c, os.path.join(out, mine[-1]), ("leak_step", "fill_cache", "inuse_space/bytes"),
                    "fill_cache")
        with open(f"/proc/{t.pid}/cgroup") as f:
            cgroup = [ln[3:].strip() for ln in f if ln.startswith("0::")][0]
        name = (f"ranking{{service_name=ranking,pid={t.pid},comm=ranking,cgroup={cgroup},"
                f"hostname=node-7}}")
        pushed = [r for r in reqs if r["query"].get("name") == name]
        if len(pushed) != len(mine):
            raise Fail(f"{len(pushed)} pushes named {name}, {len(mine)} files; names seen: "
                       f"{sorted({r['query'].get('name') for r in reqs})[:4]}")
    strays = [n for n in files if "-ranking-" not in n and n != "spool"]
    if strays:
        raise Fail(f"--comm ranking wrote profiles of other processes: {strays[:5]}")

@test(90)
def t_system_wide_exact(c):
    """-a --mode exact warns of its cost to every process, probes CPython's
    allocators in the libpython a new interpreter maps, and names the line."""
    python = pyenv_python("3.11")
    if not os.access(python, os.X_OK):
        raise Skip(f"no {python}")
    lt, path = start_all(c, ["--mode", "exact", "--comm", "python3.11"], 8)
    py = c.spawn([python, os.path.join(PYDIR, "lite_big.py"), "-w"],
                 env=py_prog_env(c, python, "lite_big"))
    go(py)
    rep = finish_all(c, lt, path, 8)
    if "every process on the host pays" not in lt.err.text:
        raise Fail("no warning of exact mode's cost to every process: " + tail(lt.err.text))
    if rep.get("mode") != "exact":
        raise Fail(f"mode {rep.get('mode')!r}, want exact")
    p = sys_proc(rep, py.pid)
    if not p or p["suspects"] < 1:
        raise Fail(f"the Python leaker (pid {py.pid}) is not a suspect process")
    top = first_suspect(p)
    src, line = marker("lite_big.py", "lite_big")
    pf = py_frames(top)
    if not pf or pf[0][1].get("line") != line or not PY_ALLOCATOR.match(top.get("allocator", "")):
        raise Fail(f"suspect 1 is {stack_str(top)} ({top.get('allocator')}), want {src}:{line} "
                   "through a CPython allocator")


@test(60)
def t_system_wide_chroot(c):
    """-a probes the libc of a process chrooted into another root (another
    file than ours), also one already running when tracing starts."""
    root = sid_root()
    inside = copy_into_root(c, root, "leaker")
    t = wait_ready(c.spawn(["chroot", root, inside, "-w"]), "leaker in " + root)
    # no budget: its duty cycles, set by the whole host's load, would thin the burst
    lt, path = start_all(c, ["-v", "--max-overhead", "0", "--comm", "leaker"], 5)
    if not lt.err.wait_for(r"^leaktrace: probing the allocator of .* \(pid %d\)" % t.pid, 10):
        raise Fail(f"the libc of pid {t.pid} in {root} was not probed: {tail(lt.err.text)}")
    go(t)
    rep = finish_all(c, lt, path, 5)
    p = sys_proc(rep, t.pid)
    if not p:
        raise Fail(f"leaker (pid {t.pid}) is not among the processes: "
                   + str([(q["pid"], q["comm"]) for q in rep["processes"]][:20]))
    check_leaker(p)
    expect_module_under(p, "leak_big", root)


def check_many_libcs(c, env=None):
    """-a over six processes, each running its own copy of libc
    (LD_LIBRARY_PATH): every copy gets its probes, and each process's leaks
    are reported exactly."""
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    ts = []
    for i in range(6):
        d = os.path.join(c.tmp, f"libc{i}")
        os.makedirs(d)
        shutil.copy(libc, d)
        ts.append(c.spawn([os.path.join(BUILD, "leaker"), "-w"],
                          env=dict(os.environ, LD_LIBRARY_PATH=d)))
    ready(*ts)
    lt, path = start_all(c, ["-v", "--max-overhead", "0", "--comm", "leaker"], 6, env=env)
    for t in ts:
        if not lt.err.wait_for(r"probing the allocator of \S+ \(pid %d\)" % t.pid, 15):
            raise Fail(f"the libc copy of pid {t.pid} was not probed: {tail(lt.err.text, 600)}")
    go(*ts)
    rep = finish_all(c, lt, path, 6)
    for t in ts:
        p = sys_proc(rep, t.pid)
        if not p:
            raise Fail(f"leaker (pid {t.pid}) is not among the processes")
        check_leaker(p)


@test(90)
def t_system_wide_many_libcs(c):
    check_many_libcs(c)


@test(90)
def t_system_wide_many_libcs_perf(c):
    """The same through perf-event uprobes, a link per probe site: 7 libcs'
    worth, past the 96 links the loader's table used to hold."""
    check_many_libcs(c, dict(os.environ, LEAKTRACE_NO_UPROBE_MULTI="1"))


HOSTILE = ("fifo_swap", "terminal_escapes", "python_code_cache_bounded",
           "symlink_swap_duty_cycle", "crafted_sparse_plugin", "exec_attached",
           "system_wide_many_libcs")
MEMORY_BOUND_KIB = 256 << 10


@test(420)
def t_hostile_memory_bound(c):
    """Each hostile case of the suite again (FIFO swap, escapes, a code
    object per request, symlink swap under duty cycles, a sparse ELF with a
    crafted build id, exec, six libc copies), its own checks included:
    every leaktrace it ran peaked under 256 MiB of RSS (its VmHWM, from
    wait4(); a child it reaped counts if larger, so this bounds it above)."""
    byname = {name: fn for name, fn, _ in TESTS}
    peaks, failed, skipped = [], [], []
    for name in HOSTILE:
        sub = Ctx(name + "-mem")
        try:
            byname[name](sub)
        except Skip as e:
            skipped.append(f"{name} ({e})")
            continue
        except Fail as e:
            failed.append(f"{name}: {e}")
        finally:
            lts = [p for p in sub.procs if LEAKTRACE in p.argv]
            for p in lts:
                p.wait(5)
            sub.cleanup()
        kib = [p.maxrss_kib for p in lts if p.maxrss_kib is not None]
        if kib:
            peaks.append((name, max(kib)))
        else:
            failed.append(f"{name}: no leaktrace ran to its end")
    if VERBOSE:
        vprint("peak RSS: " + ", ".join(f"{n} {k >> 10} MiB" for n, k in peaks))
    over = [f"{n} {k >> 10} MiB" for n, k in peaks if k >= MEMORY_BOUND_KIB]
    if over:
        raise Fail(f"peak RSS over 256 MiB: {', '.join(over)}")
    if failed:
        raise Fail("; ".join(failed))
    if not peaks:
        raise Skip("every case skipped: " + "; ".join(skipped))


@test(60)
def t_system_wide_unwind(c):
    """-a walks CFI too: a process started after leaktrace, built without
    frame pointers, gets its whole chains."""
    lt, path = start_all(c, ["--mode", "exact", "--comm", "nofp"], 4)
    t = c.spawn([os.path.join(BUILD, "nofp"), "-w"])
    ready(t)
    time.sleep(0.5)  # its code mapped, leaktrace has loaded its tables (not a race we test)
    go(t)
    rep = finish_all(c, lt, path, 4)
    p = sys_proc(rep, t.pid)
    if not p:
        raise Fail(f"nofp (pid {t.pid}) is not among the processes")
    one_stack(p, "xmalloc", 3000, 3, ["xmalloc", "leak_c", "leak_b", "leak_a"] + MAIN_TAIL)
    one_stack(p, "xmalloc", 777, 1, ["xmalloc"] + ["recurse"] * 126)


@test(90)
def t_system_wide_budget(c):
    """-a's budget holds each process to it, not only the host: a malloc/free
    loop next to a CPU spinner (which halves the host's share) is thinned
    for its own sake; its steady leak is still suspect 1 in exact 256-byte
    blocks and its freed blocks no leak."""
    lt, path = start_all(c, ["--comm", "churner"], 10)
    spin = c.spawn(["sh", "-c", "while :; do :; done"])
    t = c.spawn([os.path.join(BUILD, "churner"), "-w"])
    go(t)
    rep = finish_all(c, lt, path, 10)
    spin.signal(signal.SIGKILL)
    ov = rep.get("overhead") or {}
    if ov.get("budget_pct") != 5 or not 0 < ov.get("alloc_probe_duty", 1) < 1 or \
            ov.get("hot_pid") != t.pid:
        raise Fail(f"overhead={ov!r}: want the 5% budget, thinned for churner (pid {t.pid})")
    if f"of pid {t.pid}'s CPU, the most loaded process" not in lt.out.text:
        raise Fail("the text report does not name the process the budget thinned for: "
                   + tail(lt.out.text))
    p = sys_proc(rep, t.pid)
    if not p:
        raise Fail(f"churner (pid {t.pid}) is not among the processes")
    top = first_suspect(p)
    if leaf(top).get("function") != "leak_step":
        raise Fail(f"churner's suspect 1 is {stack_str(top)}, want leak_step")
    if top["bytes"] != top["allocs"] * 256 or top["allocs"] < 10:
        raise Fail(f"leak_step: {top['bytes']} B in {top['allocs']}, want blocks of 256 B")
    for st in p["stacks"]:
        if leaf(st).get("function") == "churn" and (st.get("suspect") or st["allocs"] > 2):
            raise Fail(f"churn's freed blocks count as a leak: {stack_str(st)}")


@test()
def t_system_wide_bad_filters(c):
    """-a's filters fail at once, in one line, on what cannot match."""
    c.expect_error(["-a", "-d", "1", "--cgroup", "no-such-cgroup-dir"], need=r"cgroup")
    c.expect_error(["-a", "-d", "1", "--uid", "no-such-user-xyz"], need=r"uid")
    c.expect_error(["-a", "-d", "1", "--comm", "x" * 16], need=r"comm")
    c.expect_error(["-a", "-d", "1", "--rss"], need=r"-a does not take --rss")
    c.expect_error(["--comm", "sshd", "-p", "1"], need=r"add -a")


@test(90)
def t_system_wide_many_pythons(c):
    """-a over 20 interpreters: each one's Python frames, and one copy of
    libpython's and libc's symbol and line tables for all (not one each:
    ~35 MiB per process)."""
    python = pyenv_python("3.12")
    if not os.access(python, os.X_OK):
        raise Skip(f"no {python}")
    # (no budget: 20 interpreters starting at once would thin the probes)
    lt, path = start_all(c, ["--comm", "python3.12", "--max-overhead", "0"], 6)
    # CPython is found once its code is mapped (~0.1 s): hold() runs later
    code = "import time\ndef hold():\n    return [bytes(1000) for _ in range(1000)]\n" \
           "time.sleep(1.5)\nx = hold()\ntime.sleep(10)\n"
    kids = [c.spawn([python, "-c", code]) for _ in range(20)]
    rep = finish_all(c, lt, path, 6)
    held = []
    for k in kids:
        p = sys_proc(rep, k.pid)
        fr = p and [f for st in p["stacks"] for f in st["frames"]
                    if f.get("function") == "hold" and f.get("line") == 3]
        held.append(bool(fr))
    if sum(held) < 18:
        raise Fail(f"{sum(held)} of 20 interpreters show hold() at <string>:3")
    peak = rep["tracer"]["peak_rss_kib"]
    if not 0 < peak < 256 * 1024:
        raise Fail(f"leaktrace peaked at {peak} KiB for 20 interpreters")
    vprint(f"peak RSS {peak} KiB")


@test(60)
def t_system_wide_fds(c):
    """-a --fds: a Python process started after it that opens files and
    never closes them shows each one at the opening line."""
    python = pyenv_python("3.12")
    if not os.access(python, os.X_OK):
        raise Skip(f"no {python}")
    lt, path = start_all(c, ["--fds", "--comm", "python3.12", "--max-overhead", "0", "-v"], 6)
    t = c.spawn([python, os.path.join(PYDIR, "fds_files.py"), "-w"],
                env=py_prog_env(c, python, "fds_files"))
    ready(t)
    # the files are opened at once: go once leaktrace has found CPython in it
    if not lt.err.wait_for(rf"pid {t.pid} \(python3\.12\): CPython 3\.12", 10):
        raise Fail(f"CPython not found in pid {t.pid}: {tail(lt.err.text)}")
    go(t)
    if not t.out.wait_for(r"^done", 10):
        raise Fail(f"fds_files.py did not finish its work: {tail(t.err.text)}")
    rep = finish_all(c, lt, path, 6)
    p = sys_proc(rep, t.pid)
    if not p or "fds" not in p:
        raise Fail(f"no fds section for pid {t.pid}")
    n = leaked_count(t.out.text, "fds_files.py")
    _, line = marker("fds_files.py", "fds_files")
    got = fd_stacks_at(p, "fds_files.py")
    if got.get(line) != n or len(got) != 1 or p["fds"]["open"] < n:
        raise Fail(f"open descriptors by line {got} ({p['fds']['open']} open), want {{{line}: {n}}}")


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="leaktrace integration tests (root)")
    ap.add_argument("names", nargs="*", help="run tests whose name contains one of these")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs of failed tests")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose
    os.chdir(ROOT)

    tests = [t for t in TESTS if not args.names or any(n in t[0] for n in args.names)]
    if args.list:
        print("\n".join(t[0] for t in tests))
        return 0
    if os.geteuid() != 0:
        for name, _, _ in tests:
            print(f"SKIP integration/{name}: needs root")
        return 0
    build = subprocess.run(["make", "--no-print-directory", "-C", PROGS],
                           capture_output=True, text=True)
    if build.returncode:
        print(f"FAIL integration/build: make -C {os.path.relpath(PROGS)}: "
              f"{tail(build.stdout + build.stderr)}")
        return 1
    if not os.access(LEAKTRACE, os.X_OK):
        for name, _, _ in tests:
            print(f"FAIL integration/{name}: {LEAKTRACE} is not built (run make)")
        return 1

    failed = 0
    for name, fn, timeout in tests:
        result = run_one(name, fn, timeout, args.keep)
        print(result, flush=True)
        failed += result.startswith("FAIL")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
