# SPDX-License-Identifier: MIT
"""Privileges: leaktrace with only CAP_BPF, CAP_PERFMON and
CAP_SYS_PTRACE, without tracefs, never showing tracefs to the target, and on
perf-event uprobes.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from harness import BUILD, Fail, LEAKTRACE, READY_TIMEOUT, Skip, tail, test
from checks import check_leaker


@test(30)
def t_minimal_capabilities(c):
    """Root with only CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (what a
    container or a systemd unit would grant) traces exactly as full root,
    given tracefs mounted, as systemd does at boot and the DaemonSet binds
    it (here in a mount namespace of its own: the host's mounts untouched)."""
    wrap = in_mount_ns("mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs "
                       "/sys/kernel/tracing", MINIMAL_CAPS)
    t = c.start_target("leaker")
    check_leaker(c.attach(t, wrap=wrap))


MINIMAL_CAPS = "-all,+bpf,+perfmon,+sys_ptrace"


def in_mount_ns(setup, caps=None):
    """A wrap that runs leaktrace in a private mount namespace after the
    shell commands setup, with only caps (setpriv syntax) if given."""
    if not shutil.which("unshare") or (caps and not shutil.which("setpriv")):
        raise Skip("no unshare or setpriv (util-linux)")
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", setup + ' && exec "$@"', "sh"]
    if caps:
        wrap += ["setpriv", f"--inh-caps={caps}", f"--ambient-caps={caps}",
                 f"--bounding-set={caps}"]
    return wrap


@test(30)
def t_no_tracefs_minimal_capabilities(c):
    """No tracefs mounted and no CAP_SYS_ADMIN to mount it: one clear line."""
    wrap = in_mount_ns("{ ! mountpoint -q /sys/kernel/tracing || umount -l /sys/kernel/tracing; }",
                       MINIMAL_CAPS)
    t = c.start_target("leaker")
    rc, _, err = c.leaktrace(["-p", str(t.pid), "-d", "1"], 20, wrap=wrap)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if rc != 1 or len(lines) != 1 or not re.match(r"leaktrace: .*tracefs.*not permitted", lines[0]):
        raise Fail(f"exit {rc}, want 1 and one line naming tracefs; stderr: {tail(err)}")


def tracefs_mounts(pid):
    with open(f"/proc/{pid}/mounts") as f:
        return sum(1 for ln in f if ln.split()[2:3] == ["tracefs"])


def lt_progs():
    """Loaded BPF programs named as leaktrace's (lt_*)."""
    r = subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True)
    return [p for p in json.loads(r.stdout or "[]") if p.get("name", "").startswith("lt_")]


def held_prog_ids(pid):
    """The BPF programs process pid holds (its program and link descriptors):
    its own, whatever other tracers run beside it."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                ids |= {int(ln.split()[1]) for ln in f if ln.startswith("prog_id:")}
        except OSError:
            pass
    return ids


def still_loaded(ids, wait_s=5):
    """Which of ids are loaded still, once an RCU grace period or so has
    passed (programs are freed after one)."""
    end = time.monotonic() + wait_s
    while True:
        left = ids & {p["id"] for p in lt_progs()}
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.1)


@test(40)
def t_tracefs_never_in_sight(c):
    """Where tracefs is not mounted, leaktrace (root) reads the tracepoints'
    ids from a tracefs of its own, mounted nowhere: no mount in its
    namespace while it traces or after; killed with SIGKILL, nothing of it is
    left (none of its programs loaded, no mount)."""
    unmount = "{ ! mountpoint -q /sys/kernel/tracing || umount -l /sys/kernel/tracing; }"
    seen, ids = [], set()

    def stop(lt):
        seen.append(tracefs_mounts(lt.pid))
        ids.update(held_prog_ids(lt.pid))
    t = c.start_target("leaker")
    rep = c.attach(t, wrap=in_mount_ns(unmount), stop=stop)
    check_leaker(rep)
    if seen != [0]:
        raise Fail(f"tracefs mounts in leaktrace's namespace while tracing: {seen}")
    if not ids:
        raise Fail("leaktrace held no BPF program while tracing")
    if still_loaded(ids):
        raise Fail(f"{len(still_loaded(ids))} of leaktrace's programs still loaded after it exited")
    t = c.start_target("leaker")
    lt = c.spawn([*in_mount_ns(unmount), LEAKTRACE, "-p", str(t.pid)])
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    ids = held_prog_ids(lt.pid)
    if tracefs_mounts(lt.pid) or not ids:
        raise Fail(f"while tracing: {tracefs_mounts(lt.pid)} tracefs mounts, "
                   f"{len(ids)} programs")
    lt.signal(signal.SIGKILL)
    lt.wait(5)
    left = still_loaded(ids)
    if left:
        raise Fail(f"after SIGKILL, still loaded: {[p['name'] for p in lt_progs() if p['id'] in left][:6]}")


@test(30)
def t_perf_event_uprobes(c):
    """Without uprobe_multi (forced), perf-event uprobes give the same report."""
    path = os.path.join(c.tmp, "report.json")
    env = dict(os.environ, LEAKTRACE_NO_UPROBE_MULTI="1")
    rc, out, err = c.leaktrace(["-v", "-t", "1000", "--json", path, "--",
                                os.path.join(BUILD, "leaker"), "-q"], 30, env=env)
    if "through perf events" not in err:
        raise Fail(f"LEAKTRACE_NO_UPROBE_MULTI=1 still used uprobe_multi: {tail(err)}")
    check_leaker(c.report(path, rc, err))
