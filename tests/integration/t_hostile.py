# SPDX-License-Identifier: MIT
"""Hostile targets: escape sequences in names, a FIFO swapped in for a
file, symlinks swapped under duty cycles, a sparse plugin with a crafted
build id. t_system_wide's hostile_memory_bound runs them again.
"""

import os
import re
import shutil
import signal
import struct
import sys

import harness
from harness import (BUILD, Fail, LEAKTRACE, PYDIR, READY_TIMEOUT, Skip, base, ready, tail, test,
                     vprint)
from targets import PY_ATTACH_DURATION, attach_python, build_id_of, py_env, pyenv_python
from checks import check_python_report, leaf, leaked_count, need_python_frames, stack_str, summary


@test(60)
def t_terminal_escapes(c):
    """A target named with escape sequences (its comm and a function's name):
    the text report and the log show them as \\xNN, never raw; JSON keeps the
    names as they are."""
    from importlib import util as _u  # the program's own strings, as the oracle
    spec = _u.spec_from_file_location("evil_names", os.path.join(PYDIR, "evil_names.py"))
    evil = _u.module_from_spec(spec)
    sys.path.insert(0, PYDIR)
    spec.loader.exec_module(evil)
    python = pyenv_python("3.12")
    t, rep = attach_python(c, python, "evil_names", opts=("-v",))
    for what, text in (("stdout", c.last.out.text), ("stderr", c.last.err.text)):
        raw = [ch for ch in text if ch in "\x1b\x07" or 0x80 <= ord(ch) <= 0x9f]
        if raw:
            raise Fail(f"raw control characters on {what}: {raw[:5]} | {tail(text)}")
    if "\\x1b]0;pwned\\x07hoard\\x1b[2J (python)" not in c.last.out.text:
        raise Fail(f"the escaped function name is not in the text report: {tail(c.last.out.text)}")
    if "ev\\x1b[31mil\\x07" not in c.last.out.text:
        raise Fail(f"the escaped comm is not in the text report: {tail(c.last.out.text)}")
    names = {fr.get("function") for st in rep["stacks"] for fr in st["frames"]}
    if evil.EVIL_NAME not in names:
        raise Fail(f"JSON does not keep the function's name: {sorted(map(repr, names))[:8]}")
    if rep.get("comm") != evil.EVIL_COMM.decode():
        raise Fail(f"JSON comm {rep.get('comm')!r}, want {evil.EVIL_COMM.decode()!r}")


@test(60)
def t_fifo_swap(c):
    """A hostile target maps a copy of libpython, then puts a FIFO where the
    copy was: leaktrace opens what is mapped, never blocks on the FIFO, and
    still names the leaking line."""
    python = pyenv_python("3.12")
    lib = os.path.join(os.path.dirname(os.path.dirname(python)), "lib", "libpython3.12.so.1.0")
    d = os.path.join(c.tmp, "lib")
    os.makedirs(d)
    copy = os.path.join(d, os.path.basename(lib))
    shutil.copy(lib, copy)
    t = c.spawn([python, os.path.join(PYDIR, "dict_cache.py"), "-w"],
                env=py_env(LD_LIBRARY_PATH=d))  # before the RUNPATH
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"dict_cache.py never got ready: {tail(t.err.text)}")
    with open(f"/proc/{t.pid}/maps") as f:
        if copy not in f.read():
            raise Fail(f"the interpreter does not map the copy {copy}")
    os.unlink(copy)
    os.mkfifo(copy)
    rep = c.attach(t, duration=PY_ATTACH_DURATION)  # fails if leaktrace hangs
    need_python_frames(rep, python)
    check_python_report(rep, python, "dict_cache", leaked_count(t.out.text, "dict_cache.py"))


def host_libc():
    """The libc this interpreter runs (a path on the host)."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split(None, 5)[-1].strip()
            if re.search(r"/libc(\.so|-)", path):
                return path
    raise Skip("no libc in this interpreter's maps")


def check_symlink_swap(c, env=None):
    """swapper runs a copy of libc and maps a decoy ELF (another libc copy);
    3 s into its 10 s hot loop, while leaktrace duty-cycles the probes, it
    swaps its copy's path for a symlink to the decoy. Re-attached after that
    (twice at least), the probes come back on the copy, never on the decoy
    (whose mapping the target compares with its file every 20 ms: no int3),
    with no complaint, and its later leak is still traced."""
    libc = host_libc()
    d, dd = os.path.join(c.tmp, "lib"), os.path.join(c.tmp, "decoy")
    os.makedirs(d)
    os.makedirs(dd)
    copy, decoy = os.path.join(d, os.path.basename(libc)), os.path.join(dd, "decoy.so")
    shutil.copy(libc, copy)
    shutil.copy(libc, decoy)  # the same bytes, another inode: offsets line up
    t = c.spawn([os.path.join(BUILD, "swapper"), "-w", copy, decoy],
                env=dict(os.environ, LD_LIBRARY_PATH=d))
    ready(t)
    with open(f"/proc/{t.pid}/maps") as f:
        maps = f.read()
    if not re.search(r" r-xp .* " + re.escape(copy) + "$", maps, re.M):
        raise Fail(f"swapper does not run the libc copy {copy}")
    path = os.path.join(c.tmp, "report.json")
    lt = c.last = c.spawn([LEAKTRACE, "-p", str(t.pid), "-d", "13", "--mode", "lite", "-i", "1",
                           "-t", "1000", "--json", path, "-vv"], **({"env": env} if env else {}))
    reattach = r"^leaktrace: attached \d+ links"
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        lt.wait(1)
        raise Fail(f"no 'leaktrace: tracing' line (exit {lt.rc}); stderr: {tail(lt.err.text)}")
    t.signal(signal.SIGUSR1)
    if not t.out.wait_for(r"^swapped", 10):
        raise Fail(f"swapper did not swap its libc: {tail(t.err.text)}")
    if os.readlink(copy) != decoy:
        raise Fail(f"{copy} is not a symlink to the decoy")
    before_swap = len(re.findall(reattach, lt.err.text, re.M))
    line = t.out.wait_for(r"^traps ", 20)
    if not line:
        raise Fail(f"swapper did not finish: {tail(t.err.text)}")
    # while it still looked at its mappings
    after_swap = len(re.findall(reattach, lt.err.text, re.M)) - before_swap
    rc = lt.wait(30)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(lt.err.text)}")
    rep = c.report(path, rc, lt.err.text)
    before, after, reattached, dec = map(int, re.findall(r"\d+", line))
    if dec:
        raise Fail(f"{dec} bytes of the decoy's mapping changed: breakpoints in another file")
    ov = rep.get("overhead") or {}
    if ov.get("thinned_s", 0) < 5:  # its hot loop lasts 10 s
        raise Fail(f"overhead={ov!r}: the probes were not duty-cycled")
    if harness.VERBOSE:
        vprint(f"re-attaches: {before_swap} before the swap, {after_swap} after; {line.strip()}")
    if after_swap < 2:  # the first may have started before it
        raise Fail(f"{after_swap} re-attaches after the swap, want 2 or more: "
                   + tail(lt.err.text, 600))
    if not before or not after:
        raise Fail(f"breakpoints seen in the copy: {before} B before the swap, {after} after "
                   f"(back {reattached} times after it); want some each")
    bad = [ln for ln in lt.err.text.splitlines() if re.search(r"cannot|error", ln, re.I)]
    if bad:
        raise Fail(f"leaktrace complained: {bad[:3]}")
    for fn in ("leak_before", "leak_after"):
        sts = [st for st in rep["stacks"] if leaf(st).get("function") == fn]
        if not sts or any(st["bytes"] != st["allocs"] * 256 for st in sts):
            raise Fail(f"{fn}: {[stack_str(st) for st in sts]}, want blocks of 256 B | "
                       + summary(rep))


@test(60)
def t_symlink_swap_duty_cycle(c):
    check_symlink_swap(c)


@test(90)
def t_symlink_swap_duty_cycle_perf(c):
    """The same through perf-event uprobes (a link per probe site)."""
    check_symlink_swap(c, dict(os.environ, LEAKTRACE_NO_UPROBE_MULTI="1"))


def crafted_plugin(c):
    """dlopener and a hostile copy of its libplugin.so in c.tmp: libc's build
    id in its note, a .debug_info claiming 5 GiB, the file grown sparse to
    7 GiB (the loader reads neither). Returns the dlopener copy."""
    d = os.path.join(c.tmp, "crafted")
    os.makedirs(d)
    exe, lib = os.path.join(d, "dlopener"), os.path.join(d, "libplugin.so")
    shutil.copy(os.path.join(BUILD, "dlopener"), exe)
    shutil.copy(os.path.join(BUILD, "libplugin.so"), lib)
    bid = bytes.fromhex(build_id_of(host_libc()))
    with open(lib, "r+b") as f:
        elf = f.read()
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
        strtab, = struct.unpack_from("<Q", elf, shoff + shstrndx * shentsize + 0x18)
        patched = set()
        for i in range(shnum):
            sh = shoff + i * shentsize
            at = strtab + struct.unpack_from("<I", elf, sh)[0]
            name = elf[at:elf.index(b"\0", at)].decode()
            off, = struct.unpack_from("<Q", elf, sh + 0x18)
            if name == ".note.gnu.build-id":
                namesz, descsz = struct.unpack_from("<II", elf, off)
                if descsz != len(bid):
                    raise Fail(f"libplugin.so's build id is {descsz} bytes, libc's {len(bid)}")
                f.seek(off + 12 + (namesz + 3 & ~3))
                f.write(bid)
                patched.add(name)
            elif name == ".debug_info":
                f.seek(sh + 0x20)  # sh_size
                f.write(struct.pack("<Q", 5 << 30))
                patched.add(name)
        if len(patched) != 2:
            raise Fail(f"libplugin.so: only {patched} found to patch")
        f.truncate(7 << 30)
    if build_id_of(lib) != bid.hex():
        raise Fail("the crafted library does not claim libc's build id")
    return exe


@test(40)
def t_crafted_sparse_plugin(c):
    """A library that lies, dlopen()ed after leaktrace attached: libc's build
    id, a .debug_info claiming 5 GiB of a sparse 7 GiB file. Its leak is
    still named (no lines: its DWARF is refused), libc's frames stay libc's."""
    t = c.spawn([crafted_plugin(c), "-w"])
    ready(t)
    rep = c.attach(t)
    hits = [st for st in rep["stacks"] if leaf(st).get("function") == "plugin_leak"]
    if len(hits) != 1:
        raise Fail(f"{len(hits)} stacks with plugin_leak() as frames[0], want 1 | " + summary(rep))
    st = hits[0]
    if (st["bytes"], st["allocs"]) != (25 * 200, 25) or \
            [fr.get("function") for fr in st["frames"][1:3]] != ["call_plugin", "main"]:
        raise Fail("plugin_leak: " + stack_str(st, 4))
    libc = os.path.realpath(host_libc())
    for st in rep["stacks"]:
        for fr in st["frames"]:
            mod = fr.get("module") or ""
            if base(mod) == "libplugin.so" and fr.get("function") != "plugin_leak" or \
                    os.path.realpath(mod) == libc and fr.get("function") in (None, "plugin_leak"):
                raise Fail(f"a frame of {mod} named {fr.get('function')!r}: " + stack_str(st, 6))


@test(90)
def t_pid_reuse(c):
    """A Python target exits while leaktrace is held (SIGSTOP) and another
    process takes its pid at once: the same program under another name, ASLR
    off, one hash seed, so its code objects lie where the target's did.
    leaktrace reads target memory by pid and checks the target's pidfd after
    each read: it names none of the newcomer's functions, and still reports
    what the target leaked."""
    python = pyenv_python("3.12")
    setarch = shutil.which("setarch")
    if not setarch:
        raise Skip("no setarch (util-linux)")

    def start(name):
        env = py_env(LT_REUSE_NAME=name, PYTHONHASHSEED="0")
        t = c.spawn([setarch, "-R", python, os.path.join(PYDIR, "pid_reuse.py"), "-w"], env=env)
        if not t.out.wait_for(r"^ready", 20):
            raise Fail(f"pid_reuse.py ({name}) never got ready: {tail(t.err.text)}")
        return t, re.search(r"(?m)^code (0x[0-9a-f]+)", t.out.text).group(1)

    a, code_a = start("alpha")
    path = os.path.join(c.tmp, "report.json")
    lt = c.last = c.spawn([LEAKTRACE, "-p", str(a.pid), "-d", "60", "-t", "1000", "--json", path])
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    lt.signal(signal.SIGSTOP)
    a.signal(signal.SIGUSR1)
    if not a.out.wait_for(r"^done", 10):
        raise Fail(f"the target did not leak: {tail(a.err.text)}")
    a.signal(signal.SIGKILL)
    a.wait(5)
    for _ in range(5):  # the next pid is a.pid, unless another fork comes first
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(a.pid - 1))
        b, code_b = start("omega")
        if b.pid == a.pid:
            break
        b.signal(signal.SIGKILL)
    else:
        lt.signal(signal.SIGCONT)
        raise Fail(f"pid {a.pid} could not be taken again (ns_last_pid): others forked first")
    lt.signal(signal.SIGCONT)
    rc = lt.wait(30)
    rep = c.report(path, rc, lt.err.text)
    if code_a != code_b:
        vprint(f"code objects at {code_a} and {code_b}: the newcomer's lie elsewhere")
    names = {fr.get("function") or "" for st in rep["stacks"] for fr in st["frames"]}
    if any("omega" in n for n in names):
        raise Fail(f"the newcomer's functions named in the report: {sorted(n for n in names if 'omega' in n)}")
    leaked = [st for st in rep["stacks"] if st["allocs"] >= 200 and st["bytes"] >= 200 * 1000]
    if not leaked:
        raise Fail("the target's leak (200 bytearrays of 1000 B) is not reported: " + summary(rep))

