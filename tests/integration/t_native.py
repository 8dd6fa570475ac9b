# SPDX-License-Identifier: MIT
"""C programs in launch and attach mode: the leaker, frees, exits, exec,
exports on a full disk, realloc and every allocator, threads, a deep stack.
"""

import os
import subprocess

from harness import ATTACH_DURATION, BUILD, Fail, tail, test
from checks import (check_allocators, check_leaker, check_reallocs, expect_absent, expect_nstacks,
                    expect_stack, expect_totals, leaf, marker, own_stacks, stack_str, summary,
                    validate)


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


@test()
def t_allocators(c):
    check_allocators(c.launch("allocators"))


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
