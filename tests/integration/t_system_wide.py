# SPDX-License-Identifier: MIT
"""System-wide mode (-a): filters and their per-process links, short-lived
processes, continuous, exact, other roots, many libcs, a memory bound on the
hostile cases, unwinding, the budget, many Pythons, lost new-stack notices,
--fds.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

import harness
import receiver
from harness import (BUILD, Ctx, Fail, Inner, LEAKTRACE, PYDIR, READY_TIMEOUT, Skip, TESTS,
                     kill_tree, proc_table, ready, tail, test, vprint, wait_ready)
from targets import copy_into_root, py_env, py_prog_env, pyenv_python, sid_root
from checks import (MAIN_TAIL, PY_ALLOCATOR, check_leaker, check_new_stacks_lost, check_pprof,
                    expect_module_under, expect_stack, fd_stacks_at, first_suspect, leaf,
                    leaked_count, marker, one_stack, py_frames, same_file, stack_str,
                    suspects_of)


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
    if harness.VERBOSE:
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
    # what the probes cost it over the run: the start (every probe on, most
    # of its CPU) included, so above the windows' 5%, and the figure the
    # overhead's own run_pct gives for the process it thinned for
    cost = p.get("probe_cost_pct")
    if cost is None or not 3 < cost < 50 or abs(cost - ov.get("run_pct", -1)) > 0.01:
        raise Fail(f"churner's probe_cost_pct {cost!r}, the run's {ov.get('run_pct')!r}: want "
                   "the same, between 3 and 50%")
    top = first_suspect(p)
    if leaf(top).get("function") != "leak_step":
        raise Fail(f"churner's suspect 1 is {stack_str(top)}, want leak_step")
    # allocation probes at the duty floor (as t_lite_budget): a few each cycle
    if top["bytes"] != top["allocs"] * 256 or top["allocs"] < 5:
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


@test(90)
def t_system_wide_new_stacks_lost(c):
    """-a held (SIGSTOP) while a Python process makes 16,000 new stacks, more
    than the new-stack ring holds: the lost notices are counted and said, and
    leaktrace catches up by itself once resumed, reading those stacks while
    the process lives. Killed 2.5 s later, before the one report, the process
    is reported with every frame named, those of 32 functions only lost
    notices named too, and its leak to the byte."""
    python = pyenv_python("3.13")
    path = os.path.join(c.tmp, "sys.json")
    lt = c.last = c.spawn([LEAKTRACE, "-a", "-d", "60", "-i", "60", "-t", "1000", "--json", path,
                           "--comm", "python3.13", "--max-overhead", "0", "-v"])
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    t = c.spawn([python, os.path.join(PYDIR, "newstacks.py"), "-w"], env=py_env())
    ready(t)
    if not lt.err.wait_for(rf"pid {t.pid} \(python3\.13\): CPython 3\.13", 10):
        raise Fail(f"CPython not found in pid {t.pid}: {tail(lt.err.text)}")
    lt.signal(signal.SIGSTOP)
    go(t)
    if not t.out.wait_for(r"^done", 30):
        raise Fail(f"newstacks.py did not finish its work: {tail(t.err.text)}")
    lt.signal(signal.SIGCONT)
    time.sleep(2.5)
    t.signal(signal.SIGKILL)
    t.wait(5)
    time.sleep(0.5)
    lt.signal(signal.SIGINT)
    rep = finish_all(c, lt, path, 0)
    p = [q for q in rep["processes"] if q["pid"] == t.pid]
    if not p:
        raise Fail(f"pid {t.pid} not in the report: {[q['pid'] for q in rep['processes']]}")
    check_new_stacks_lost(rep, lt.out.text, p[0], leaked_count(t.out.text, "newstacks.py"))


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


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


@test(60)
def t_system_wide_held_exec_outlives_tracer(c):
    """-a with a filter holds each exec it chooses (SIGSTOP) until the
    image's links are on. A leaktrace killed with an image held must not
    leave it stopped for good: its guardian continues it. leaktrace is
    frozen (SIGSTOP) so that it cannot release, a matching program execs
    and is held, then leaktrace is killed (SIGKILL): the program runs to
    its end, and the guardian is gone."""
    prog = os.path.join(c.tmp, "ltheldprog")
    shutil.copy("/bin/sleep", prog)
    lt, _ = start_all(c, ["--max-overhead", "0", "--comm", "ltheldprog"], 60)
    lt.signal(signal.SIGSTOP)
    p = c.spawn([prog, "0.2"])
    deadline = time.monotonic() + 10
    while proc_state(p.pid) != "T" and time.monotonic() < deadline and p.rc is None:
        time.sleep(0.02)
    if proc_state(p.pid) != "T":
        lt.signal(signal.SIGCONT)
        raise Fail(f"the matching exec was not held (state {proc_state(p.pid)!r}, rc {p.rc})")
    guards = subprocess.run(["pgrep", "-x", "-P", str(lt.pid), "leaktrace-guard"],
                            capture_output=True, text=True).stdout.split()
    if len(guards) != 1:
        raise Fail(f"leaktrace's guardian children: {guards}, want one")
    lt.signal(signal.SIGKILL)
    lt.wait(5)
    rc = p.wait(10)
    if rc != 0:
        raise Fail(f"the held program did not run on after leaktrace was killed "
                   f"(state {proc_state(p.pid)!r}, rc {rc})")
    deadline = time.monotonic() + 5
    while proc_state(int(guards[0])) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc_state(int(guards[0])) not in (None, "Z"):
        raise Fail(f"the guardian (pid {guards[0]}) is still running")
