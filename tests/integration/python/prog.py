# SPDX-License-Identifier: MIT
"""Shared by the Python leak programs, like progs/prog.h for the C ones. Each
program defines leak() (leak, return how many objects it leaked) and ends with
prog.run(leak). The modes:

  prog.py -w   attach mode: block SIGUSR1, print "ready", wait for SIGUSR1
               (sent once leaktrace prints "leaktrace: tracing"), leak, print
               "done N", then sleep until killed.
  prog.py      launch mode: leak at once, print "done N", then os._exit(0),
               skipping finalization (which frees the leak).
  LEAK_FINALIZE=1 prog.py
               the same, then a normal exit: the interpreter's finalization
               frees what leaked; leaktrace's final report is taken as it
               begins, so the leak is still in it.
  PYTHON_LEAK_ORACLE=1 prog.py
               the oracle: leak at once under tracemalloc and print the line
               that holds the most traced bytes ("oracle top=FILE:LINE ..."),
               which must be the program's "# LEAK:<name>" line. See README.

Every mode first prints "start <version> PYTHONMALLOC=<value>", so a test can
see which interpreter ran and whether leaktrace set the allocator.
"""

import os
import signal
import sys
import time


def _oracle(leak):
    import tracemalloc  # only here: the traced runs must not load it

    tracemalloc.start()
    count = leak()
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    snap = snap.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    stats = snap.statistics("lineno")
    top = stats[0]
    nxt = stats[1] if len(stats) > 1 else None
    fr = top.traceback[0]
    line = f"oracle top={os.path.basename(fr.filename)}:{fr.lineno} bytes={top.size} " \
           f"blocks={top.count}"
    if nxt:
        fr = nxt.traceback[0]
        line += f" next={os.path.basename(fr.filename)}:{fr.lineno} next_bytes={nxt.size}"
    print(line, flush=True)
    return count


def run(leak):
    wait = sys.argv[1:] == ["-w"]
    if sys.argv[1:] not in ([], ["-w"]):
        sys.exit(f"usage: {sys.argv[0]} [-w]")
    print(f"start {sys.version.split()[0]} PYTHONMALLOC={os.environ.get('PYTHONMALLOC', '')}",
          flush=True)
    if os.environ.get("PYTHON_LEAK_ORACLE") == "1":
        print(f"done {_oracle(leak)}", flush=True)
        os._exit(0)
    if wait:
        # Blocked before "ready": a SIGUSR1 sent any time after it stays
        # pending until sigwait, so the go signal cannot be lost.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        print("ready", flush=True)
        signal.sigwait({signal.SIGUSR1})
    print(f"done {leak()}", flush=True)
    if not wait and os.environ.get("LEAK_FINALIZE") == "1":
        sys.exit(0)  # a normal exit: finalization frees the leak
    if not wait:
        os._exit(0)
    while True:
        time.sleep(3600)
