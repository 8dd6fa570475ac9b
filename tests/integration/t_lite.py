# SPDX-License-Identifier: MIT
"""Lite mode (--mode lite) on Python programs, and its overhead budget."""

import os
import re
import signal
import statistics

from harness import BUILD, LEAKTRACE, Fail, PYDIR, Skip, add_test, tail, test, vprint
from targets import DEBIAN_PYTHON, LITE_REPORT, py_prog_env, pyenv_python
from checks import (PY_ALLOCATOR, first_suspect, leaf, marker, need_python_frames, py_frames,
                    same_file, stack_str, summary, validate)


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
    # allocation probes on ~1-2% of the time, the floor: of 400 steps in
    # 8 s, a few on-phases of 25-50 ms see one or two each
    if top["bytes"] != top["allocs"] * 256 or top["allocs"] < 5:
        raise Fail(f"leak_step: {top['bytes']} B in {top['allocs']}, want blocks of 256 B")
    for st in rep["stacks"]:
        if leaf(st).get("function") == "churn" and (st.get("suspect") or st["allocs"] > 2):
            raise Fail(f"churn's freed blocks count as a leak: {stack_str(st)}")


def run_service(c, secs, traced):
    """bench/servicebench.c for secs, untraced or under `-p --mode lite`
    (the 5% budget): (its CPU ns per request, leaktrace's estimates while it
    ran, its report)."""
    t = c.spawn([os.path.join(BUILD, "service"), str(secs), "-w"])
    if not t.out.wait_for(r"waiting for SIGUSR1", 10):
        raise Fail(f"service never got ready: {tail(t.err.text)}")
    lt = path = None
    if traced:
        path = os.path.join(c.tmp, "report.json")
        lt = c.spawn([LEAKTRACE, "-p", str(t.pid), "--mode", "lite", "-v", "-i", "1",
                      "-d", str(secs + 30), "--json", path])
        if not lt.err.wait_for(r"^leaktrace: tracing", 30):
            raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    t.signal(signal.SIGUSR1)
    pat = r"^servicebench: \d+ requests [\d.]+ ns/request ([\d.]+) cpu-ns/request"
    line = t.out.wait_for(pat, secs + 30)
    m = line and re.search(pat, line)
    if not m:
        raise Fail(f"service did not report: {tail(t.out.text)}")
    est, rep = [], None
    if lt:
        # the windows' estimates up to here: while the service ran
        est = [float(v) for v in re.findall(r"probe cost ([\d.]+)% of pid \d+'s CPU",
                                            lt.err.text)]
        lt.signal(signal.SIGINT)
        rc = lt.wait(30)
        rep = c.report(path, rc, lt.err.text)
        rep["_text"] = lt.out.text
    t.signal(signal.SIGUSR1)
    t.wait(10)
    return float(m.group(1)), est[2:] or est, rep


def report_history(text):
    """Each text report's time and its stacks' leaf functions with their
    allocation counts (suspects starred): what a failed ranking came from."""
    out = []
    for head, body in re.findall(r"(?ms)^\[([\d.]+s)\] (?:final report — )?leaktrace:(.*?)(?=^\[|\Z)",
                                 text):
        sus = body.split("Leak suspects:", 1)[-1].split("Largest outstanding", 1)[0]
        leaves = re.findall(r"(?m)^#\d+ .* in (\d+) allocations?.*\n\s+(\w+)\+",
                            body.split("Largest outstanding", 1)[-1])
        nsus = len(re.findall(r"(?m)^#\d+", sus))
        out.append(head + " " + ",".join(f"{fn}:{n}" for n, fn in leaves) + f" ({nsus} suspects)")
    return "; ".join(out)


@test(150)
def t_budget_estimate(c):
    """The budget's estimate against the slowdown measured from outside:
    the service (bench/servicebench.c: a little work and three allocations a
    request, one session leaked in 256) times its own CPU per request,
    untraced and under lite mode's 5% budget, interleaved twice. Its run
    is compared with leaktrace's estimate for the run (run_pct: the start,
    every probe on until the first verdict, included; a window's estimate
    says what the probes cost then). The bounds are wide (within the larger
    of 5 points and the slowdown itself): the machine's other jobs move
    both. Its slow leak stays a suspect."""
    base, traced, ests, wins = [], [], [], []
    for _ in range(2):
        base.append(run_service(c, 5, False)[0])
        ns, est, rep = run_service(c, 5, True)
        traced.append(ns)
        ov = rep.get("overhead") or {}
        if not est or "run_pct" not in ov:
            raise Fail("no window's or run's estimate: the probes were never thinned "
                       f"(overhead={ov!r})")
        wins.append(statistics.median(est))
        ests.append(ov["run_pct"])
        sus = [s for s in rep["stacks"] if s.get("suspect")][:3]
        if not any(any(f.get("function") == "open_session" for f in s["frames"]) for s in sus):
            raise Fail("open_session() is not among the top three suspects | " + summary(rep)
                       + " | reports: " + report_history(rep["_text"]))
        if not ov.get("cost_measured") or not 0.5 <= ov.get("cost_factor", 0) <= 5:
            raise Fail(f"overhead={ov!r}: want the probes' cost measured in the target")
    # the machine's other jobs only ever add to a run's CPU per request: the
    # least disturbed run of each kind is the steadiest reading
    slow = (min(traced) / min(base) - 1) * 100
    est = statistics.median(ests)
    vprint(f"  slowdown {slow:.1f}% (untraced {base}, traced {traced}), estimate for the run "
           f"{est:.1f}% ({ests}; windows' medians {wins})")
    if abs(est - slow) > max(5, abs(slow)):
        raise Fail(f"estimate {est:.1f}% against a measured slowdown of {slow:.1f}% "
                   f"(CPU ns/request untraced {base}, traced {traced}; windows' {wins})")


@test(60)
def t_budget_report_point(c):
    """While thinned, a report waits for its cycle's report point. With
    frees on (a 25% budget: the service's frees fit it, its allocations do
    not), that is late in the off-phase: the on-phase's requests, ~80 ms in
    flight, are freed and seen freed by then. Reports asked every 0.25 s
    would otherwise land in on-phases and list hundreds of blocks in flight,
    as large as the leak and, with reports drifting through the cycles,
    growing like it. Every thinned report lists the leak alone; it is a
    suspect by the last."""
    t = c.spawn([os.path.join(BUILD, "service"), "12", "-w"])
    if not t.out.wait_for(r"waiting for SIGUSR1", 10):
        raise Fail(f"service never got ready: {tail(t.err.text)}")
    lt = c.spawn([LEAKTRACE, "-p", str(t.pid), "--mode", "lite", "--max-overhead", "25",
                  "-i", "0.25", "-d", "7"])
    if not lt.err.wait_for(r"^leaktrace: tracing", 30):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    t.signal(signal.SIGUSR1)
    rc = lt.wait(40)
    t.signal(signal.SIGUSR1)
    t.wait(30)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}: {tail(lt.err.text)}")
    heads = r"(?m)^\[[\d.]+s\] (?:final report — )?leaktrace:"
    reports = re.split(heads, lt.out.text)[1:]
    if len(reports) < 4:
        raise Fail(f"{len(reports)} reports: {tail(lt.out.text)}")
    thinned, last = 0, None
    for r in reports[:-1]:  # the final report is taken whenever the run ends
        if "THINNED" not in r:
            continue
        frees_on = "frees always traced" in r
        leaves = re.findall(r"(?m)^#\d+ .* in (\d+) allocations?.*\n\s+(\w+)\+", r)
        inflight = sum(int(n) for n, fn in leaves if fn == "handle")
        # frees thinned (a CPU whose free trap is dear): reports at the drain's
        # end, when a request outliving the drain may still be in flight
        if inflight > (0 if frees_on else 400):
            raise Fail(f"a thinned report lists {inflight} blocks of requests in flight:\n"
                       + r[:1500])
        thinned += 1
        last = r
    if thinned < 3:
        raise Fail(f"{thinned} thinned reports of {len(reports)}: " + tail(lt.out.text))
    sus = last.split("Leak suspects:", 1)[-1].split("Largest outstanding", 1)[0]
    if "open_session" not in sus:
        raise Fail("open_session() is not a suspect in the last thinned report:\n" + last[:1500])
    vprint(f"  {thinned} thinned reports of {len(reports)}, none listing requests in flight")
