#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the deployment files in deploy/ without deploying them.

- unit_verify: systemd-analyze verify accepts deploy/leaktrace.service (any
  warning fails it, unknown keys included), with ExecStart pointed at ./leaktrace.
- unit: the capabilities, sandboxing, spool and command line of the unit, and
  that deploy/leaktrace.env defines every variable ExecStart uses.
- daemonset: deploy/daemonset.yaml parses and has hostPID, not privileged, the
  capabilities (the unit's), the host mounts, a writable spool, env and limits.
- options: every option the unit and the DaemonSet pass is in ./leaktrace --help.
- dockerfile: the build stage installs the -dev package of every pkg-config
  module the Makefile links, the runtime stage the package of every library
  ./leaktrace is linked with (DT_NEEDED), and the stages fit together.

Prints "PASS name", "FAIL name: why" or "SKIP name: why"; exits 1 on a failure.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
BINARY = os.path.join(ROOT, "leaktrace")
UNIT = os.path.join(DEPLOY, "leaktrace.service")
ENVFILE = os.path.join(DEPLOY, "leaktrace.env")
DAEMONSET = os.path.join(DEPLOY, "daemonset.yaml")
DOCKERFILE = os.path.join(DEPLOY, "Dockerfile")
INSTALL_DEPS = os.path.join(ROOT, "scripts", "install-deps.sh")
EXEC_PATH = "/usr/local/bin/leaktrace"

# what README.md's "Privileges" names: needed, and optional
NEEDED_CAPS = {"BPF", "PERFMON", "SYS_PTRACE"}
OPTIONAL_CAPS = {"SYS_ADMIN"}


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Fail(why)


def read(path):
    with open(path) as f:
        return f.read()


def parse_unit(text):
    """{section: {key: [values]}}; continuation lines joined."""
    out, sec = {}, None
    text = re.sub(r"\\\n", " ", text)
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            sec = out.setdefault(line.strip("[]"), {})
            continue
        key, _, val = line.partition("=")
        need(sec is not None and _, f"unit: not a key=value line: {line!r}")
        sec.setdefault(key.strip(), []).append(val.strip())
    return out


def one(sec, key):
    vals = sec.get(key)
    need(vals, f"no {key}=")
    return vals[-1]


def caps_of(val):
    """'CAP_BPF CAP_PERFMON' -> {'BPF', 'PERFMON'}"""
    caps = set()
    for c in val.split():
        need(c.startswith("CAP_"), f"{c!r} is not a capability name")
        caps.add(c[4:])
    return caps


def check_caps(caps, where):
    need(NEEDED_CAPS <= caps, f"{where}: missing {sorted(NEEDED_CAPS - caps)}")
    extra = caps - NEEDED_CAPS - OPTIONAL_CAPS
    need(not extra, f"{where}: more than needed: {sorted(extra)}")


def unit_argv():
    svc = parse_unit(read(UNIT)).get("Service", {})
    return shlex.split(one(svc, "ExecStart"))


def t_unit_verify():
    sa = shutil.which("systemd-analyze")
    if not sa:
        raise Skip("no systemd-analyze (Debian: systemd)")
    need(os.access(BINARY, os.X_OK), f"no {BINARY}: run make first")
    text = read(UNIT)
    need(EXEC_PATH in text, f"ExecStart does not run {EXEC_PATH}")
    # verify wants ExecStart's binary to exist: the built one stands in
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "leaktrace.service")
        with open(path, "w") as f:
            f.write(text.replace(EXEC_PATH, BINARY))
        p = subprocess.run([sa, "verify", "--man=no", "--generators=no", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=30)
    out = p.stdout.replace(tmp, "deploy").strip()
    need(p.returncode == 0 and not out, f"systemd-analyze verify exited {p.returncode}: {out}")


def t_unit():
    unit = parse_unit(read(UNIT))
    svc = unit.get("Service")
    need(svc, "no [Service]")
    need("multi-user.target" in unit.get("Install", {}).get("WantedBy", []),
         "not WantedBy=multi-user.target")
    ambient = caps_of(one(svc, "AmbientCapabilities"))
    bounding = caps_of(one(svc, "CapabilityBoundingSet"))
    check_caps(ambient, "AmbientCapabilities")
    need(ambient == bounding, f"AmbientCapabilities {sorted(ambient)} and "
         f"CapabilityBoundingSet {sorted(bounding)} differ")
    need(svc.get("User", ["root"])[-1] in ("root", "0"),
         "User= is not root: the capability set is tested as uid 0")
    for key, want in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                      ("Restart", "on-failure")):
        need(one(svc, key) == want, f"{key}={one(svc, key)}, want {want}")
    need(re.fullmatch(r"\d+[KMG]", one(svc, "MemoryMax")), "MemoryMax= is not a size")
    state = one(svc, "StateDirectory")
    need(one(svc, "EnvironmentFile").lstrip("-") == "/etc/default/leaktrace",
         "EnvironmentFile= is not /etc/default/leaktrace")

    argv = unit_argv()
    need(argv[0] == EXEC_PATH, f"ExecStart runs {argv[0]}")
    for opt in ("-a", "--continuous"):
        need(opt in argv, f"ExecStart has no {opt}")
    need("--push" in argv and argv[argv.index("--push") + 1] == "${LEAKTRACE_PUSH_URL}",
         "ExecStart has no --push ${LEAKTRACE_PUSH_URL}")
    need("--spool" in argv, "ExecStart has no --spool")
    spool = argv[argv.index("--spool") + 1]
    need(spool.startswith(f"/var/lib/{state}/"),
         f"--spool {spool} is not in StateDirectory=, the one writable place")

    # every variable ExecStart uses has a line in the example env file
    env = {}
    for line in read(ENVFILE).splitlines():
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        if m:
            env[m.group(1)] = m.group(2)
    used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", one(svc, "ExecStart")))
    need(used, "ExecStart uses no variables from the env file")
    need(used <= env.keys(), f"{os.path.basename(ENVFILE)} lacks {sorted(used - env.keys())}")
    need(env.get("LEAKTRACE_PUSH_URL", "").startswith("http"),
         "LEAKTRACE_PUSH_URL is no http(s) URL in the example")
    return ambient


def walk(node):
    """Every (key, value) pair in nested dicts and lists."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def load_daemonset():
    try:
        import yaml
    except ImportError:
        raise Skip("no python3 yaml module (Debian: python3-yaml)")
    try:
        docs = [d for d in yaml.safe_load_all(read(DAEMONSET)) if d]
    except yaml.YAMLError as e:
        raise Fail(f"not YAML: {e}")
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    need(len(ds) == 1, f"{len(ds)} DaemonSets, want 1")
    ds = ds[0]
    need(ds.get("apiVersion") == "apps/v1", "apiVersion is not apps/v1")
    return ds


def t_daemonset(unit_caps):
    ds = load_daemonset()
    spec = ds["spec"]
    pod = spec["template"]["spec"]
    need(spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items(),
         "the selector does not match the pod's labels")
    need(pod.get("hostPID") is True, "no hostPID: true (leaktrace -a needs the host's /proc)")
    need(not any(k == "privileged" and v is True for k, v in walk(ds)), "privileged: true")
    need(any(t.get("operator") == "Exists" and "key" not in t for t in pod.get("tolerations", [])),
         "no toleration with operator: Exists and no key (every node)")
    (ctr,) = pod["containers"]
    need(ctr.get("image"), "no image")
    sc = ctr["securityContext"]
    need(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
    need(sc["capabilities"].get("drop") == ["ALL"], "capabilities do not drop ALL")
    added = set(sc["capabilities"].get("add", []))
    check_caps(added, "capabilities.add")
    need(added == unit_caps, f"capabilities {sorted(added)} differ from the unit's "
         f"{sorted(unit_caps)}")
    lim = ctr.get("resources", {}).get("limits", {})
    need("memory" in lim and "cpu" in lim, "no memory and cpu limits")

    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in ctr.get("volumeMounts", [])}

    def host(mount_path, host_paths, ro=True):
        m = mounts.get(mount_path)
        need(m, f"nothing mounted on {mount_path}")
        need(bool(m.get("readOnly")) == ro, f"{mount_path}: readOnly is not {ro}")
        hp = vols.get(m["name"], {}).get("hostPath", {}).get("path")
        need(hp in host_paths, f"{mount_path} is not the host's {host_paths[0]}")

    tracefs = [p for p in ("/sys/kernel/tracing", "/sys/kernel/debug") if p in mounts]
    need(tracefs, "neither /sys/kernel/tracing nor /sys/kernel/debug is mounted")
    host(tracefs[0], [tracefs[0]])
    host("/sys/kernel/btf", ["/sys/kernel/btf"])
    host("/sys/fs/cgroup", ["/sys/fs/cgroup"])
    need("/proc" not in mounts, "/proc is mounted: hostPID gives the host's")

    args = ctr.get("args", [])
    for opt in ("-a", "--continuous"):
        need(opt in args, f"args have no {opt}")
    opts = dict(a.split("=", 1) for a in args if a.startswith("--") and "=" in a)
    need(opts.get("--push") == "$(LEAKTRACE_PUSH_URL)", "args have no --push=$(LEAKTRACE_PUSH_URL)")
    env = {e["name"]: e for e in ctr.get("env", [])}
    used = set(re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", " ".join(args)))
    need(used <= env.keys(), f"args use {sorted(used - env.keys())}, not in env")
    spool = opts.get("--spool")
    need(spool, "args have no --spool=")
    sm = [m for p, m in mounts.items() if spool.startswith(p.rstrip("/") + "/")]
    need(sm and not sm[0].get("readOnly"), f"--spool={spool} is on no writable volume")
    need(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true")
    return args


def t_options(ds_args):
    need(os.access(BINARY, os.X_OK), f"no {BINARY}: run make first")
    help_text = subprocess.run([BINARY, "--help"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=10).stdout
    if not re.search(r"(?m)^\s+-a[, ]", help_text):
        raise Skip("this leaktrace has no -a (system-wide mode) yet")
    given = [a.split("=", 1)[0] for a in unit_argv()[1:] + ds_args if a.startswith("-")]
    env_opts = re.findall(r"(?m)^#?LEAKTRACE_OPTS=(.*)", read(ENVFILE))
    given += [a for line in env_opts for a in shlex.split(line) if a.startswith("-")]
    for opt in given:
        pat = re.escape(opt) + (r"[ ,=\n]" if opt.startswith("--") else r",")
        need(re.search(pat, help_text), f"{opt} is not in leaktrace --help")


def dpkg_package(path):
    """The Debian package that ships path (merged /usr: tried both ways)."""
    cands = [path, os.path.realpath(path)]
    cands += [c[4:] if c.startswith("/usr/") else "/usr" + c for c in list(cands)]
    for c in cands:
        p = subprocess.run(["dpkg", "-S", c], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip()
    raise Fail(f"no package ships {path}")


def dockerfile_stages():
    """[(stage name, [apt packages], [lines])] in order."""
    text = re.sub(r"\\\n", " ", read(DOCKERFILE))
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", line, re.I)
        if m:
            need(m.group(1).startswith("debian:12"), f"stage from {m.group(1)}, not debian:12")
            stages.append((m.group(2), [], []))
            continue
        need(stages, f"{line!r} before FROM")
        stages[-1][2].append(line)
        for cmd in line.split("&&"):
            words = cmd.split()
            if "install" in words and "apt-get" in words:
                stages[-1][1].extend(w for w in words[words.index("install") + 1:]
                                     if not w.startswith("-"))
    return stages


def t_dockerfile():
    need(os.access(BINARY, os.X_OK), f"no {BINARY}: run make first")
    stages = dockerfile_stages()
    need(len(stages) == 2, f"{len(stages)} stages, want 2 (build, runtime)")
    (bname, bpkgs, blines), (_, rpkgs, rlines) = stages
    need(bname, "the build stage has no name")

    mk = read(os.path.join(ROOT, "Makefile"))
    mods = re.search(r"(?m)^PKGS\s*:=\s*(.*)$", mk).group(1).split()
    deps = read(INSTALL_DEPS)
    for mod in mods:
        pc = subprocess.run(["pkg-config", "--path", mod], stdout=subprocess.PIPE,
                            text=True).stdout.strip()
        need(pc, f"pkg-config knows no {mod}")
        pkg = dpkg_package(pc)
        need(pkg in bpkgs, f"build stage lacks {pkg} (pkg-config {mod})")
        need(re.search(rf"(?m)^\s+.*\b{re.escape(pkg)}\b", deps),
             f"scripts/install-deps.sh lacks {pkg}")
    for pkg in ("make", "clang", "bpftool", "pkg-config"):
        need(pkg in bpkgs, f"build stage lacks {pkg}")
    copied = " ".join(l for l in blines if l.upper().startswith("COPY"))
    for src in ("Makefile", "bpf", "user", "vmlinux"):
        need(re.search(rf"\b{src}\b", copied), f"build stage does not copy {src}")
    need(any(re.match(r"RUN make\b.*\bleaktrace\b", l) for l in blines), "build stage runs no make")

    dyn = subprocess.run(["readelf", "-d", BINARY], stdout=subprocess.PIPE, text=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    need(needed, "readelf found no DT_NEEDED entries")
    ldd = subprocess.run(["ldd", BINARY], stdout=subprocess.PIPE, text=True).stdout
    where = dict(re.findall(r"(?m)^\s*(\S+) => (/\S+)", ldd))
    for lib in needed:
        need(lib in where, f"ldd does not resolve {lib}")
        pkg = dpkg_package(where[lib])
        if pkg == "libc6":  # in every Debian image
            continue
        need(pkg in rpkgs, f"runtime stage lacks {pkg} ({lib})")
    need(any(re.match(rf"COPY --from={bname} \S*/leaktrace {EXEC_PATH}$", l) for l in rlines),
         f"runtime stage does not copy the binary from {bname} to {EXEC_PATH}")
    need(any(EXEC_PATH in l for l in rlines if l.upper().startswith("ENTRYPOINT")),
         "no ENTRYPOINT running leaktrace")


def main():
    failed = 0
    results = {}

    def run(name, fn, *args):
        nonlocal failed
        try:
            results[name] = fn(*args)
            print(f"PASS deploy/{name}")
        except Skip as e:
            print(f"SKIP deploy/{name}: {e}")
        except Exception as e:  # a missing key in the YAML fails too
            kind = "" if isinstance(e, Fail) else f"{type(e).__name__} "
            print(f"FAIL deploy/{name}: {kind}{e}")
            failed += 1
        sys.stdout.flush()

    run("unit_verify", t_unit_verify)
    run("unit", t_unit)
    caps = results.get("unit")
    if caps is None:
        caps = NEEDED_CAPS | OPTIONAL_CAPS
    run("daemonset", t_daemonset, caps)
    run("options", t_options, results.get("daemonset") or [])
    run("dockerfile", t_dockerfile)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
