# SPDX-License-Identifier: MIT
"""CFI unwinding: optimized code without frame pointers (C, C++, Rust,
separate debug files, signal frames, alloca). The oracles are elfutils'
eu-stack on the target stopped right after the leaking allocation returned,
and the same source built with frame pointers.
"""

import os
import re
import shutil
import signal
import subprocess
import time

from harness import BUILD, Fail, LEAKTRACE, PROGS, READY_TIMEOUT, Skip, base, tail, test
from targets import build_id_of, copy_into_root, sid_root
from checks import (MAIN_TAIL, fns, frame_str, leaf, marker, one_stack, stack_str, stacks_with,
                    summary, suspects_of, validate)


def need_eu_stack():
    if not shutil.which("eu-stack"):
        subprocess.run(["apt-get", "install", "-y", "-q", "elfutils"], capture_output=True)
    if not shutil.which("eu-stack"):
        raise Skip("no eu-stack (apt-get install elfutils failed)")


def eu_stack(pid, raw=False):
    """[(address, function)] of pid's main thread, innermost first."""
    out = subprocess.run(["eu-stack", "-1", *(["-r"] if raw else []), "-p", str(pid)],
                         capture_output=True, text=True, timeout=20)
    frames = []
    for ln in out.stdout.splitlines():
        # a demangled name has spaces: "operator new(unsigned long)"
        m = re.match(r"#\d+\s+0x([0-9a-f]+)\s+(?:- 1\s+)?(.+?)\s*$", ln)
        if m:
            frames.append((int(m.group(1), 16), m.group(2).split("@")[0]))
    if not frames:
        raise Fail(f"eu-stack -p {pid} gave no frames: {tail(out.stdout + out.stderr)}")
    return frames


def wait_stopped(pid, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.02)
    raise Fail(f"pid {pid} never stopped itself")


def check_nofp(rep, prog):
    validate(rep, comm=prog)
    one_stack(rep, "xmalloc", 3000, 3, ["xmalloc", "leak_c", "leak_b", "leak_a"] + MAIN_TAIL)
    # the loop of two calls may be unrolled into two call sites: two stacks
    threads = [st for st in stacks_with(rep, "xmalloc") if "thread_main" in fns(st)]
    want = ["xmalloc", "leak_c", "leak_b", "thread_main", "start_thread", "clone3"]
    if sum(st["bytes"] for st in threads) != 4 * 2 * 512 or \
            sum(st["allocs"] for st in threads) != 8 or any(fns(st) != want for st in threads):
        raise Fail("thread stacks: " + "; ".join(f"{st['bytes']} B: {fns(st)}" for st in threads)
                   + f"; want 4096 B in 8 allocations, each {want}")
    # 200 recursions: cut at 127 frames, said, and nothing wrong below the cut
    deep = one_stack(rep, "xmalloc", 777, 1, ["xmalloc"] + ["recurse"] * 126)
    if not deep.get("truncated"):
        raise Fail("the 200-deep stack is not marked truncated")
    if any(st.get("truncated") for st in rep["stacks"] if st is not deep):
        raise Fail("a shallow stack is marked truncated")


@test()
def t_unwind_nofp(c):
    """C -O2 without frame pointers, three calls below main through a
    malloc wrapper, from threads and 200 recursions deep."""
    check_nofp(c.launch("nofp"), "nofp")


@test()
def t_unwind_same_as_fp(c):
    """The same source with and without frame pointers: the same stacks."""
    a, b = c.launch("nofp"), c.launch("withfp")
    check_nofp(b, "withfp")
    key = lambda rep: sorted((st["bytes"], st["allocs"], tuple(fns(st)))  # noqa: E731
                             for st in rep["stacks"] if base(leaf(st).get("module")) in
                             ("nofp", "withfp"))
    if key(a) != key(b):
        raise Fail(f"stacks differ: {key(a)} vs {key(b)}")


def check_eu_stack(c, prog, leaf_fn, caller, nbytes, raw=False, args=()):
    """leaktrace -p on prog stopped at the allocation: its frames from the
    allocator's caller's caller on must be eu-stack's, address for address."""
    need_eu_stack()
    t = c.spawn([os.path.join(BUILD, prog), "-w", "stop", *args])
    if not t.out.wait_for(r"^ready", 10):
        raise Fail(f"{prog} never got ready: {tail(t.err.text)}")
    path = os.path.join(c.tmp, "report.json")
    lt = c.last = c.spawn([LEAKTRACE, "-p", str(t.pid), "-d", "3", "-t", "100", "--json", path])
    if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
        raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
    t.signal(signal.SIGUSR1)
    wait_stopped(t.pid)
    eu = eu_stack(t.pid, raw)
    t.signal(signal.SIGCONT)
    if not t.out.wait_for(r"^done", 10):
        raise Fail(f"{prog} did not finish: {tail(t.err.text)}")
    rc = lt.wait(25)
    rep = c.report(path, rc, lt.err.text)
    got = [st for st in stacks_with(rep, leaf_fn) if st["bytes"] == nbytes]
    if len(got) != 1:
        raise Fail(f"no single {nbytes} B stack from {leaf_fn}: " + summary(rep))
    ours = [(int(fr["address"], 16), fr.get("function")) for fr in got[0]["frames"]]
    names = [f for _, f in eu]
    if caller not in names:
        raise Fail(f"eu-stack has no {caller}: {names}")
    theirs = eu[names.index(caller):]
    k = [f for _, f in ours].index(caller) if caller in [f for _, f in ours] else -1
    # the caller's frame itself is at another call (raise, not the allocator)
    if k < 0 or [f for _, f in ours[k:]] != [f for _, f in theirs] or ours[k + 1:] != theirs[1:]:
        raise Fail(f"leaktrace {[(hex(a), f) for a, f in ours]} | eu-stack "
                   f"{[(hex(a), f) for a, f in theirs]}")


@test()
def t_unwind_eu_stack_c(c):
    check_eu_stack(c, "nofp", "xmalloc", "xmalloc", 1000)


@test()
def t_unwind_cxx_new(c):
    """g++ -O2: new three calls below main, through libstdc++'s operator new
    (no frame pointer); with and without frame pointers, and as eu-stack says,
    demangled as eu-stack demangles them (and raw as it gives them with -r)."""
    new = "operator new(unsigned long)"
    want = [new, "make_c(long)", "make_b(long)", "make_a(long)"] + MAIN_TAIL
    for prog in ("newdeep", "newdeep-fp"):
        rep = c.launch(prog)
        validate(rep, comm=prog)
        st = one_stack(rep, new, 5 * 48, 5, want)
        linkage = [fr.get("linkage_name") for fr in st["frames"][:4]]
        if linkage != ["_Znwm", "_Z6make_cl", "_Z6make_bl", "_Z6make_al"]:
            raise Fail(f"linkage names {linkage}, want the mangled ones")
    check_eu_stack(c, "newdeep", new, "make_c(long)", 48)


@test()
def t_unwind_edges(c):
    """-O2 without frame pointers, the unwinder's hard cases (progs/edges.c):
    through a signal frame, past alloca, into a library without CFI (one
    guarded frame-pointer step, then a clean end), into one whose CFI is in
    .debug_frame alone, across one whose code has its CFI part in .eh_frame,
    part in .debug_frame, into a library dlopen()ed and called at once, out of
    code in anonymous memory (a JIT's), and a frame pointer that leads to a
    return address in no mapping (the walk ends there)."""
    rep = c.launch("edges")
    validate(rep, comm="edges")
    tail4 = ["in_signal"] + MAIN_TAIL
    st = one_stack(rep, "xmalloc", 1111, 1, ["xmalloc", "on_signal", "__restore_rt",
                                             "__pthread_kill_implementation", "raise"] + tail4)
    if st.get("heuristic"):
        raise Fail(f"signal stack flagged heuristic: {stack_str(st)}")
    one_stack(rep, "xmalloc", 2222, 1, ["xmalloc", "with_alloca"] + MAIN_TAIL)
    bad = one_stack(rep, "xmalloc", 4444, 1, ["xmalloc", "bad_frame"])
    if not bad.get("heuristic") or bad.get("truncated"):
        raise Fail(f"bad_frame's stack: heuristic {bad.get('heuristic')}, truncated "
                   f"{bad.get('truncated')}, want true and not")
    nocfi = [st for st in rep["stacks"] if fns(st)[:1] == ["nocfi_alloc"]]
    if len(nocfi) != 1 or nocfi[0]["bytes"] != 3333 or not nocfi[0].get("heuristic") or \
            base(nocfi[0]["frames"][0].get("module", "")) != "libnocfi.so" or \
            any(not fr.get("module") for fr in nocfi[0]["frames"]):
        raise Fail("nocfi_alloc's stack: " + "; ".join(
            f"{x['bytes']} B heuristic {x.get('heuristic')}: {stack_str(x)}" for x in nocfi))
    # CFI in .debug_frame alone (-g without unwind tables): the whole chain, no guess
    dbg = one_stack(rep, "dbgcfi_alloc", 5555, 1, ["dbgcfi_alloc", "call_dbgcfi"] + MAIN_TAIL)
    if dbg.get("heuristic"):
        raise Fail("dbgcfi_alloc's stack is marked heuristic: its .debug_frame was not used")
    # .eh_frame and .debug_frame in one library, each for part of its code
    mix = one_stack(rep, "mixeh_inner", 9999, 1,
                    ["mixeh_inner", "mixdf_mid", "mixeh_outer", "call_mixcfi"] + MAIN_TAIL)
    if mix.get("heuristic"):
        raise Fail("mixeh_inner's stack is marked heuristic: libmixcfi's .debug_frame was not "
                   "used beside its .eh_frame")
    # a library dlopen()ed and called at once: its tables are in before it runs
    deep = one_stack(rep, "deep_c", 6666, 1, ["deep_c", "deep_b", "deep_a", "call_deep"] + MAIN_TAIL)
    if deep.get("heuristic"):
        raise Fail("the dlopen()ed library was walked without its CFI")
    # code in anonymous memory (a JIT's, keeping a frame pointer): one guarded
    # frame-pointer step out of it, marked, then CFI again
    jit = [st for st in rep["stacks"] if st["bytes"] == 7777]
    if len(jit) != 1 or fns(jit[0])[1:] != ["call_jit"] + MAIN_TAIL or \
            jit[0]["frames"][0].get("module") or not jit[0].get("heuristic"):
        raise Fail("the JIT code's stack: " + "; ".join(
            f"heuristic {x.get('heuristic')}: {[frame_str(f) for f in x['frames']]}" for x in jit))
    # those, and libdbgsep's (its CFI in a debug file: t_unwind_debug_file), once
    # each; dlopen's own allocations in ld.so come besides
    ours = sorted(st["bytes"] for st in rep["stacks"] if st["bytes"] % 1111 == 0 and
                  st["bytes"] <= 8888)
    if ours != [1111 * k for k in range(1, 9)]:
        raise Fail(f"the program's stacks by size: {ours}")


@test()
def t_unwind_debug_file(c):
    """A library built without unwind tables, its .debug_frame moved into a
    debug file (objcopy --only-keep-debug, strip --strip-debug): unwound
    from that file once it is where debuggers look (/usr/lib/debug/.build-id),
    a guess without it."""
    bid = build_id_of(os.path.join(BUILD, "libdbgsep.so"))
    dst = f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug"
    env = dict(os.environ, LEAKTRACE_UNWIND_CACHE=os.path.join(c.tmp, "uw"))

    def stack():
        path = os.path.join(c.tmp, "report.json")
        rc, _, err = c.leaktrace(["-t", "1000", "--json", path, "--",
                                  os.path.join(BUILD, "edges"), "-q"], 30, env=env)
        sts = [st for st in c.report(path, rc, err)["stacks"] if st["bytes"] == 8888]
        if len(sts) != 1:
            raise Fail(f"{len(sts)} stacks of 8888 B")
        return sts[0]

    if os.path.exists(dst):
        raise Skip(f"{dst} exists already: not ours to replace")
    st = stack()
    if fns(st) != ["dbgsep_alloc"] or not st.get("heuristic"):
        raise Fail(f"without the debug file: {fns(st)}, heuristic {st.get('heuristic')}")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy(os.path.join(BUILD, "libdbgsep.debug"), dst)
    try:
        shutil.rmtree(env["LEAKTRACE_UNWIND_CACHE"])  # its table was cached without
        st = stack()
    finally:
        os.unlink(dst)
    if fns(st) != ["dbgsep_alloc", "call_dbgsep"] + MAIN_TAIL or st.get("heuristic"):
        raise Fail(f"with the debug file: {fns(st)}, heuristic {st.get('heuristic')}")


@test(90)
def t_unwind_debug_file_in_root(c):
    """The same library in a container's root (chroot), its debug file in
    that root's /usr/lib/debug/.build-id, not ours: found there."""
    bid = build_id_of(os.path.join(BUILD, "libdbgsep.so"))
    rel = f"usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug"
    if os.path.exists("/" + rel):
        raise Skip(f"/{rel} exists on the host: it would be found there")
    root = sid_root()
    inside = copy_into_root(c, root, "edges")
    for lib in ("libnocfi.so", "libdbgcfi.so", "libdbgsep.so", "libdeep.so", "libmixcfi.so"):
        shutil.copy2(os.path.join(BUILD, lib), os.path.join(root, os.path.dirname(inside)[1:]))
    dst = os.path.join(root, rel)
    made = [d for d in (os.path.dirname(dst), os.path.dirname(os.path.dirname(dst)))
            if not os.path.exists(d)]
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy(os.path.join(BUILD, "libdbgsep.debug"), dst)
    # the root has no /proc for ld.so's $ORIGIN
    env = dict(os.environ, LEAKTRACE_UNWIND_CACHE=os.path.join(c.tmp, "uw"),
               LD_LIBRARY_PATH=os.path.dirname(inside))
    path = os.path.join(c.tmp, "report.json")
    try:
        rc, _, err = c.leaktrace(["-t", "1000", "--json", path, "--", "chroot", root, inside,
                                  "-q"], 45, env=env)
    finally:
        os.unlink(dst)
        for d in made:
            os.rmdir(d)
    sts = [st for st in c.report(path, rc, err)["stacks"] if st["bytes"] == 8888]
    if len(sts) != 1:
        raise Fail(f"{len(sts)} stacks of 8888 B")
    # the root's libc has no symbol table: __libc_start_call_main is unnamed there
    got = fns(sts[0])
    if got[:3] != ["dbgsep_alloc", "call_dbgsep", "main"] or len(got) != 6 or \
            got[4:] != ["__libc_start_main", "_start"] or sts[0].get("heuristic"):
        raise Fail(f"with the debug file in the target's root: {got}, heuristic "
                   f"{sts[0].get('heuristic')}")


@test()
def t_unwind_eu_stack_signal(c):
    """An allocation in a signal handler: through the kernel's signal frame
    to the interrupted code, as eu-stack walks it (its name, __restore_rt,
    and the interrupted instruction's own line)."""
    check_eu_stack(c, "edges", "xmalloc", "on_signal", 1111, args=("signal",))


@test()
def t_unwind_eu_stack_alloca(c):
    check_eu_stack(c, "edges", "xmalloc", "with_alloca", 2222, args=("alloca",))


def rustc():
    """rustup's rustc (this kind of machine has it, not always on root's
    PATH), else Debian's."""
    for cand in (shutil.which("rustc"), os.path.expanduser("~/.cargo/bin/rustc")):
        if cand and os.access(cand, os.X_OK):
            return cand
    subprocess.run(["apt-get", "install", "-y", "-q", "rustc"], capture_output=True)
    if not shutil.which("rustc"):
        raise Fail("no rustc: neither rustup's nor Debian's (apt-get install rustc failed)")
    return shutil.which("rustc")


def build_rust(name, *flags, src="rustleak.rs"):
    """progs/src, built -O -g (a release build), into BUILD/name."""
    src, out = os.path.join(PROGS, src), os.path.join(BUILD, name)
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        r = subprocess.run([rustc(), "-O", "-g", *flags, "-o", out, src],
                           capture_output=True, text=True, cwd=BUILD)
        if r.returncode:
            raise Fail(f"rustc {name}: {tail(r.stderr)}")
    return name


def addr2line_inlines(binary, vaddr):
    """binutils' addr2line -i at vaddr: [(function, file base name, line)],
    the inlined calls innermost first, then the function they are in."""
    r = subprocess.run(["addr2line", "-C", "-f", "-i", "-e", binary, hex(vaddr)],
                       capture_output=True, text=True, timeout=20)
    ln = r.stdout.splitlines()
    out = []
    for fn, loc in zip(ln[0::2], ln[1::2]):
        file, line = loc.rsplit(":", 1)
        line = line.split()[0]
        out.append((None if fn == "??" else fn, "" if file == "??" else base(file),
                    int(line) if line.isdigit() and int(line) else None))
    return out


def symbol_vaddr(binary, name):
    r = subprocess.run(["nm", binary], capture_output=True, text=True, timeout=20)
    for ln in r.stdout.splitlines():
        f = ln.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise Fail(f"nm {binary}: no {name}")


def check_inlines_oracle(st, prog):
    """Each physical frame in build/prog with the frames inlined before it
    must be what addr2line -i gives at its call (the oracle); returns how
    many inlined frames were checked."""
    binary, n, run = os.path.join(BUILD, prog), 0, []
    for fr in st["frames"]:
        run.append(fr)
        if fr.get("inlined"):
            continue
        if base(fr.get("module", "")) == prog and fr.get("function"):
            name = fr.get("linkage_name") or fr["function"]
            vaddr = symbol_vaddr(binary, name) + fr["offset"] - 1
            ours = [(f.get("function"), base(f.get("file") or ""), f.get("line")) for f in run]
            theirs = addr2line_inlines(binary, vaddr)
            if ours != theirs:
                raise Fail(f"{prog}: {fr['function']} with its inlined calls {ours} | "
                           f"addr2line -i {theirs}")
            n += len(run) - 1
        run = []
    return n


@test(60)
def t_unwind_cxx_containers(c):
    """g++ -O2 without frame pointers: a std::vector<long> grown by
    push_back and std::strings kept, through libstdc++'s operator new and
    its code inlined into ours: whole chains, demangled, each inlined call
    where addr2line -i puts it, the same with frame pointers."""
    new = "operator new(unsigned long)"
    got = []
    for prog in ("cxxgrow", "cxxgrow-fp"):
        rep = c.launch(prog)
        validate(rep, comm=prog)
        phys = lambda st: [fr.get("function") for fr in st["frames"]  # noqa: E731
                           if not fr.get("inlined")]
        vec = [st for st in rep["stacks"] if "remember(long)" in phys(st)]
        strs = [st for st in rep["stacks"] if "keep_name(int)" in phys(st)]
        if len(vec) != 1 or (vec[0]["bytes"], vec[0]["allocs"]) != (8192, 1) or \
                len(strs) != 1 or (strs[0]["bytes"], strs[0]["allocs"]) != (1210, 10):
            raise Fail(f"{prog}: want the vector's 8192 B buffer and 10 strings of 121 B: "
                       + summary(rep))
        pv, ps = phys(vec[0]), phys(strs[0])
        if pv[0] != new or "::_M_realloc_insert<long const&>" not in pv[1] or \
                pv[2:] != ["remember(long)"] + MAIN_TAIL:
            raise Fail(f"{prog}: the vector's chain {pv}")
        if ps[0] != new or "basic_string" not in ps[1] or ps[2:] != ["keep_name(int)"] + MAIN_TAIL:
            raise Fail(f"{prog}: the strings' chain {ps}")
        for st, fn in ((vec[0], "remember"), (strs[0], "keep_name")):
            fr = next(f for f in st["frames"] if f.get("function", "").startswith(fn + "("))
            _, line = marker("cxxgrow.cpp", fn)
            if fr.get("line") != line:
                raise Fail(f"{prog}: {fr['function']} at line {fr.get('line')}, want {line}")
        if check_inlines_oracle(vec[0], prog) < 2 or check_inlines_oracle(strs[0], prog) < 1:
            raise Fail(f"{prog}: fewer inlined calls than libstdc++'s: {fns(vec[0])}")
        got.append((fns(vec[0]), fns(strs[0])))
    if got[0] != got[1]:
        raise Fail(f"without frame pointers {got[0]}, with them {got[1]}")


@test(60)
def t_unwind_rust_release(c):
    """A Rust release binary (no frame pointers, std's precompiled code
    without them too) leaking boxed slices: the whole chain from the
    allocating function to main, demangled (legacy names, hash dropped),
    the calls inlined into leak_box expanded as addr2line -i gives them (the
    leak at the user's line, not inside alloc.rs); the same stacks with
    frame pointers forced."""
    want = ["rustleak::leak_box", "rustleak::serve", "rustleak::main"]
    got = []
    for prog in (build_rust("rustleak"), build_rust("rustleak-fp", "-C", "force-frame-pointers=yes")):
        rep = c.launch(prog, prog_args=())
        validate(rep, comm=prog)
        phys = lambda st: [fr.get("function") for fr in st["frames"]  # noqa: E731
                           if not fr.get("inlined")]
        sts = [st for st in rep["stacks"] if phys(st)[:3] == want]
        if len(sts) != 1 or sts[0]["bytes"] != 40000 or sts[0]["allocs"] != 10:
            raise Fail(f"{prog}: want one stack {want}... of 40000 B in 10 allocations; got "
                       + "; ".join(f"{x['bytes']} B/{x['allocs']}: {phys(x)[:5]}"
                                   for x in rep["stacks"]))
        st = sts[0]
        names = phys(st)
        if names[-4:] != MAIN_TAIL or "std::rt::lang_start_internal" not in names:
            raise Fail(f"{prog}: the chain does not reach main through std: {names}")
        mangled = [f for x in rep["stacks"] for f in fns(x)
                   if f and (f.startswith(("_ZN", "_R")) or re.search(r"::h[0-9a-f]{16}$", f))]
        if mangled:
            raise Fail(f"{prog}: names left mangled: {mangled[:4]}")
        k = next(i for i, fr in enumerate(st["frames"]) if fr.get("function") == want[0])
        box = st["frames"][k]
        if not re.match(r"_ZN8rustleak8leak_box17h[0-9a-f]{16}E$", box.get("linkage_name", "")):
            raise Fail(f"{prog}: leak_box's linkage name {box.get('linkage_name')!r}")
        # the oracle: addr2line -i at the call's address in leak_box
        vaddr = symbol_vaddr(os.path.join(BUILD, prog), box["linkage_name"]) + box["offset"] - 1
        ours = [(fr.get("function"), base(fr.get("file") or ""), fr.get("line"))
                for fr in st["frames"][:k + 1]]
        theirs = addr2line_inlines(os.path.join(BUILD, prog), vaddr)
        if ours != theirs or len(ours) < 3 or ours[-1][1:] != ("rustleak.rs", 11):
            raise Fail(f"{prog}: frames to leak_box {ours} | addr2line -i {theirs}")
        if not all(fr.get("inlined") for fr in st["frames"][:k]) or box.get("inlined"):
            raise Fail(f"{prog}: inlined marks wrong: {[fr.get('inlined') for fr in st['frames'][:k + 1]]}")
        got.append(fns(st))
    if got[0] != got[1]:
        raise Fail(f"without frame pointers {got[0]}, with them {got[1]}")


@test(90)
def t_unwind_service_suspects(c):
    """Services without frame pointers, a C++ one (g++ -O2) and a Rust
    release build: a session leaked per request is suspect 1 with its whole
    chain, demangled, at its exact bytes; the configuration read once at
    start, larger, is no suspect."""
    cases = [
        ("cxxservice", ("-q",), ["operator new(unsigned long)", "open_session(int)", "handle(int)",
                                 "serve()", "main"], "load_config()", 256 * 1001),
        (build_rust("rustservice", src="rustservice.rs"), (),
         ["rustservice::open_session", "rustservice::handle", "rustservice::serve",
          "rustservice::main"], "rustservice::load_config", 256 * 1000),
    ]
    for prog, args, chain, config_fn, config_bytes in cases:
        path = os.path.join(c.tmp, prog + ".json")
        rc, _, err = c.leaktrace(["-i", "1", "-t", "1000", "--json", path, "--",
                                  os.path.join(BUILD, prog), *args], 60)
        rep = c.report(path, rc, err)
        validate(rep, comm=prog)
        phys = lambda st: [fr.get("function") for fr in st["frames"]  # noqa: E731
                           if not fr.get("inlined")]

        def at(st, names):
            got = phys(st)
            return any(got[i:i + len(names)] == names for i in range(len(got)))
        sus = suspects_of(rep)
        if not sus or not at(sus[0], chain) or sus[0]["bytes"] != 120 * 512 or \
                sus[0]["allocs"] != 120:
            raise Fail(f"{prog}: suspect 1 is not {chain} at 120 x 512 B: "
                       + "; ".join(f"{x['bytes']} B/{x['allocs']}: {phys(x)[:6]}" for x in sus))
        if sus[0].get("heuristic") or phys(sus[0])[-len(MAIN_TAIL):] != MAIN_TAIL:
            raise Fail(f"{prog}: the suspect's chain is guessed or cut: {phys(sus[0])}")
        config = [st for st in rep["stacks"] if config_fn in phys(st) and
                  st["bytes"] == config_bytes]
        if len(config) != 1 or config[0].get("suspect") is not False:
            raise Fail(f"{prog}: the configuration's stack ({config_bytes} B) is "
                       + (f"suspect: {config[0].get('suspect')}" if len(config) == 1 else
                          f"not there once: " + summary(rep)))


@test()
def t_unwind_cache(c):
    """Tables are built once per build id: a second run reads them all."""
    env = dict(os.environ, LEAKTRACE_UNWIND_CACHE=os.path.join(c.tmp, "uw"))
    got = []
    for _ in range(2):
        rc, _, err = c.leaktrace(["-v", "-d", "5", "--", os.path.join(BUILD, "nofp"), "-q"],
                                 env=env)
        m = re.search(r"unwind tables: (\d+) modules built in [\d.]+ ms, (\d+) from the cache", err)
        if rc or not m:
            raise Fail(f"exit {rc}, no unwind tables line: {tail(err)}")
        got.append((int(m.group(1)), int(m.group(2))))
    if got[0][0] < 3 or got[1] != (0, got[0][0] + got[0][1]):
        raise Fail(f"(built, cached) per run: {got}, want (>= 3, 0) then (0, all)")


@test()
def t_unwind_uretprobe_trampoline(c):
    """A page first written inside malloc (--rss) is walked while malloc's
    return probe is pending: its return address on the stack is the uprobe
    trampoline, replaced by the real one (xmalloc's)."""
    rep = c.launch("nofp", opts=("--rss",))
    stacks = rep.get("rss", {}).get("stacks", [])
    seen = False
    for st in stacks:
        f = fns(st)
        if any((fr.get("module") or "").startswith("[uprobes]") for fr in st["frames"]):
            raise Fail(f"a frame in the uprobes trampoline: {f}")
        if "malloc" in f and "xmalloc" in f:
            i = f.index("malloc")
            if f[i + 1:i + 4] != ["xmalloc", "leak_c", "leak_b"]:
                raise Fail(f"malloc's callers: {f[i:]}, want xmalloc, leak_c, leak_b")
            seen = True
    if not seen:
        raise Fail("no --rss stack through malloc from xmalloc: "
                   + "; ".join(str(fns(st)[:6]) for st in stacks[:8]))


@test()
def t_unwind_debian_sleep(c):
    """Debian's /bin/sleep (no frame pointers, no symbols): setlocale's
    allocations get their whole chain up to _start."""
    path = os.path.join(c.tmp, "report.json")
    rc, _, err = c.leaktrace(["-t", "100", "--json", path, "--", "/bin/sleep", "0.2"])
    rep = c.report(path, rc, err)
    for st in rep["stacks"]:
        f = fns(st)
        if "setlocale" in f:
            i = f.index("setlocale")
            tail_mods = [base(fr.get("module")) for fr in st["frames"][i + 1:]]
            if f[i + 2:i + 4] == ["__libc_start_call_main", "__libc_start_main"] and \
                    tail_mods[0] == "sleep" and tail_mods[-1] == "sleep" and len(tail_mods) == 4:
                return
            raise Fail(f"setlocale's callers: {f[i:]} in {tail_mods}")
    raise Fail("no stack through setlocale: " + summary(rep))
