#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What leaktrace itself spends on a report over many outstanding allocations.

    reportcost.py LEAKTRACE HOLDBENCH N

holdbench allocates N blocks from 1000 stacks and holds them while leaktrace
is attached by pid (-i long enough that no periodic report runs). Once they
are all held, leaktrace's CPU time so far is read from /proc/PID/stat; then
SIGINT makes it write the final report (text and --json) and exit, and wait4
gives its total CPU and peak RSS. The difference is the report's cost; the
probes' cost is charged to holdbench, whose threads run them. Prints

    reportcost: allocs 1000000 stacks 1000 dropped 0 report_cpu_s 0.031 total_user_s 0.012 \
total_sys_s 0.019 maxrss_kb 18076
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time


def wait_line(path, text, proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path) as f:
                if text in f.read():
                    return True
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: reportcost.py LEAKTRACE HOLDBENCH N")
    leaktrace, holdbench, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # the allocations map holds N plus what the C runtime keeps
    max_allocs = 1 << max(n + n // 8, 1024).bit_length()
    with tempfile.TemporaryDirectory() as tmp:
        hb_out, lt_err, js = (os.path.join(tmp, x) for x in ("hb.out", "lt.err", "r.json"))
        hb = subprocess.Popen([holdbench, str(n), "-w"], stdout=open(hb_out, "w"))
        lt = None
        try:
            if not wait_line(hb_out, "waiting", hb, 10):
                sys.exit("reportcost: holdbench did not start")
            lt = subprocess.Popen([leaktrace, "-p", str(hb.pid), "-i", "3600",
                                   "--max-allocs", str(max_allocs), "--json", js],
                                  stdout=subprocess.DEVNULL, stderr=open(lt_err, "w"))
            if not wait_line(lt_err, "leaktrace: tracing", lt, 60):
                sys.exit("reportcost: leaktrace did not attach:\n" + open(lt_err).read())
            hb.send_signal(signal.SIGUSR1)
            if not wait_line(hb_out, "holding", hb, 120):
                sys.exit("reportcost: holdbench did not finish allocating")
            time.sleep(0.2)  # leaktrace's tick settles
            before = cpu_s(lt.pid)
            lt.send_signal(signal.SIGINT)
            _, status, ru = os.wait4(lt.pid, 0)
            lt.returncode = os.waitstatus_to_exitcode(status)
            if lt.returncode:
                sys.exit(f"reportcost: leaktrace exited {lt.returncode}:\n" + open(lt_err).read())
        finally:
            hb.send_signal(signal.SIGTERM)
            hb.wait()
            if lt and lt.returncode is None:
                lt.kill()
                lt.wait()
        with open(js) as f:
            rep = json.load(f)
    tot = rep["totals"]
    user, sys_ = ru.ru_utime, ru.ru_stime
    cpu = user + sys_ - before
    print(f"reportcost: allocs {tot['outstanding_allocs']} stacks {len(rep['stacks'])} "
          f"dropped {tot['dropped_events']} report_cpu_s {cpu:.3f} total_user_s {user:.3f} "
          f"total_sys_s {sys_:.3f} "
          f"maxrss_kb {ru.ru_maxrss}")


if __name__ == "__main__":
    main()
