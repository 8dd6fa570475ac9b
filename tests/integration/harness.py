# SPDX-License-Identifier: MIT
"""The harness every test module shares: where things are, the processes a
test starts (Proc, each in its own session, reaped by a thread), the context
object `c` each test gets (Ctx: a temp dir, spawn, leaktrace runs in launch
and attach mode), Fail and Skip, and the registry (@test, add_test, TESTS)
that run.py walks. VERBOSE is set by run.py's -v: read it as harness.VERBOSE.
"""

import json
import os
import re
import shutil
import signal
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

READY_TIMEOUT = 20  # s for leaktrace to print "leaktrace: tracing"
ATTACH_DURATION = 3  # s of -d in attach mode: the programs leak within ms of the go signal
VERBOSE = False


class Fail(Exception):
    pass


class Skip(Exception):
    pass


class TestTimeout(Exception):
    pass


# --- processes -------------------------------------------------------------


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


def base(path):
    return os.path.basename(path) if isinstance(path, str) else None


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

    def attach(self, target, duration=ATTACH_DURATION, opts=(), others=(), stop=None, wrap=(),
               before_go=None):
        """leaktrace -p target: waits for "leaktrace: tracing", calls
        before_go(lt) if given, sends the go signal (to the others too), waits
        for "done", then lets leaktrace stop (or calls stop(lt) to stop it).
        Returns the report."""
        path = os.path.join(self.tmp, "report.json")
        lt = self.last = self.spawn([*wrap, LEAKTRACE, "-p", str(target.pid), "-d", str(duration),
                                     "-t", "1000", "--json", path, *opts])
        if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
            lt.wait(1)
            raise Fail(f"no 'leaktrace: tracing' line (exit {lt.rc}); stderr: {tail(lt.err.text)}")
        if before_go:
            before_go(lt)
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


# --- the registry ----------------------------------------------------------

TESTS = []


def test(timeout=30):
    def reg(fn):
        TESTS.append((fn.__name__[2:], fn, timeout))
        return fn
    return reg


def add_test(name, fn, timeout=30):
    TESTS.append((name, fn, timeout))


def wait_ready(t, what):
    if not t.out.wait_for(r"^ready", 10):
        raise Fail(f"{what} never got ready: {tail(t.err.text)}")
    return t


class Inner:
    """A process a wrapper (unshare --fork) started: signalled by its own pid,
    heard on the wrapper's pipes (it inherited them)."""

    def __init__(self, outer, pid):
        self.pid, self.argv, self.out, self.err = pid, outer.argv, outer.out, outer.err

    def signal(self, sig):
        os.kill(self.pid, sig)


def ready(*targets):
    for t in targets:
        if not t.out.wait_for(r"^ready", 20):
            raise Fail(f"{base(t.argv[-2] if t.argv[-1] == '-w' else t.argv[0])} never got "
                       f"ready: {tail(t.err.text)}")
