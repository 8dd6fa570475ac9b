# SPDX-License-Identifier: MIT
"""The target's life and leaktrace's command line: dlopen, big blocks,
mmap, a target that exits or is another process, stop signals and exit
status, --min-age, the text and JSON reports, bad and exited pids, a kernel
thread, static binaries, bad options, an unwritable --json, not root.
"""

import json
import os
import re
import signal
import subprocess
import time

from harness import BUILD, Fail, ROOT, Skip, base, tail, test
from checks import (check_leaker, expect_absent, expect_nstacks, expect_stack, expect_totals,
                    own_stacks, stack_str, summary, validate)


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
