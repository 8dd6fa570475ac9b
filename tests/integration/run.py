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
import os
import signal
import subprocess
import sys

import harness
from harness import Ctx, Fail, LEAKTRACE, PROGS, ROOT, Skip, TESTS, TestTimeout, tail, vprint

# Each feature module registers its tests in harness.TESTS as it is imported:
# this order is --list's and a run's.
import t_native  # noqa: F401
import t_unwind  # noqa: F401
import t_lifecycle  # noqa: F401
import t_python  # noqa: F401
import t_python_current  # noqa: F401
import t_python_objects  # noqa: F401
import t_hostile  # noqa: F401
import t_fds  # noqa: F401
import t_lite  # noqa: F401
import t_privileges  # noqa: F401
import t_roots  # noqa: F401
import t_report  # noqa: F401
import t_continuous  # noqa: F401
import t_rss  # noqa: F401
import t_sample  # noqa: F401
import t_system_wide  # noqa: F401


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
        if harness.VERBOSE and not result.startswith("PASS") and c.last:
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


def main():
    ap = argparse.ArgumentParser(description="leaktrace integration tests (root)")
    ap.add_argument("names", nargs="*", help="run tests whose name contains one of these")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs of failed tests")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    harness.VERBOSE = args.verbose
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
