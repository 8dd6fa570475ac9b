# SPDX-License-Identifier: MIT
"""Allocation-heavy Python, with one known leak, for bench/run.sh.

    python pyworkload.py [ITERATIONS] [-w]

Each iteration builds and drops what ordinary code churns through: a list of a
few hundred small dicts with formatted strings and tuples, an index dict over
them, small class instances, a joined string. Every LEAK_EVERY-th iteration
appends a 4 KiB bytes object to a global list and never drops it: the line
marked LEAK below. Timing covers the loop only (time.perf_counter), printed as

    pyworkload: 6000 iterations wall 2.512 s cpu 2.498 s leaked 1500 x 4 KiB

-w: block until SIGUSR1 before the loop (a tracer attaches by pid first), and
again after it, so the tracer reports while the process is alive.
"""
import signal
import sys
import time

LEAK_EVERY = 4
leaked = []


class Order:
    def __init__(self, oid, customer, amount):
        self.oid = oid
        self.customer = customer
        self.amount = amount

    def label(self):
        return "%s/%d" % (self.customer, self.oid)


def leak(i):
    leaked.append(b"%08d" % i * 512)  # LEAK: 4 KiB per call, never freed


def churn(i):
    rows = [{"id": j, "name": "item-%d-%d" % (i, j), "pos": (j, j * 2)} for j in range(300)]
    index = {r["name"]: r for r in rows}
    orders = [Order(j, rows[j]["name"], j * 1.5) for j in range(0, 300, 3)]
    labels = ",".join(o.label() for o in orders[:40])
    big = [o.amount for o in orders if o.amount > 10.0]
    pairs = sorted(((r["pos"][1], r["id"]) for r in rows), reverse=True)[:20]
    return len(index) + len(labels) + len(big) + len(pairs)


def wait_usr1(what):
    print("pyworkload: " + what, flush=True)
    signal.sigwait([signal.SIGUSR1])


def main():
    args = [a for a in sys.argv[1:] if a != "-w"]
    iterations = int(args[0]) if args else 6000
    wait = "-w" in sys.argv[1:]
    if wait:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        wait_usr1("waiting for SIGUSR1")
    t0, c0 = time.perf_counter(), time.process_time()
    total = 0
    for i in range(iterations):
        total += churn(i)
        if i % LEAK_EVERY == 0:
            leak(i)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print("pyworkload: %d iterations wall %.3f s cpu %.3f s leaked %d x 4 KiB"
          % (iterations, wall, cpu, len(leaked)), flush=True)
    if wait:
        wait_usr1("done, waiting for SIGUSR1 to exit")
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main())
