# SPDX-License-Identifier: MIT
"""Targets in any root: chroot, a private mount and pid namespace
(unshare), and files replaced under a running target.
"""

import os
import shutil
import subprocess

from harness import BUILD, Fail, Inner, proc_table, tail, test, wait_ready
from targets import copy_into_root, sid_root
from checks import check_leaker, expect_module_under, expect_stack, own_stacks, summary, validate


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
