# SPDX-License-Identifier: MIT
"""The targets tests run: pyenv's CPython 3.8-3.13 and Debian's
/usr/bin/python3 with the programs of python/ (their leak patterns, their
environment, the C extension built per interpreter), and the Debian unstable
root of scripts/sid-root.sh with programs copied into a root.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import BUILD, Fail, PYDIR, ROOT, Skip, tail, vprint


def build_id_of(path):
    r = subprocess.run(["readelf", "-n", path], capture_output=True, text=True)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    if not m:
        raise Fail(f"no build id in {path}")
    return m.group(1)


PY_MINORS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
DEBIAN_PYTHON = "/usr/bin/python3"
PY_ATTACH_DURATION = 2  # s; the programs leak within ~50 ms of the go signal

# pattern (= program and marker name): the Python frames of its leak, innermost
# first, as (3.11+ qualname, co_name) where they differ; then come PY_OUTER's.
PY_PATTERNS = {
    "dict_cache": [("Renderer.render", "render"), "leak"],
    "event_log": ["log_event", "leak"],
    "closure": [("install_handlers.<locals>.make_handler", "make_handler"), "install_handlers",
                "leak"],
    "lambdas": [("EventBus.subscribe", "subscribe"), "leak"],
    "cycles": [("Session.__init__", "__init__"), "open_session", "leak"],
    "cext": ["fill_buffers", "leak"],
}
PY_OUTER = ["run", "<module>"]  # prog.run(leak), called at the program's top level
CEXT_FUNCTION = "leakext_hoard"
_py_info = {}


def pyenv_versions():
    """pyenv's versions/ directory, or None."""
    for d in (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv"), "/root/.pyenv"):
        if d and os.path.isdir(os.path.join(d, "versions")):
            return os.path.join(d, "versions")
    return None


def pyenv_python(minor):
    """The newest pyenv CPython `minor`.N interpreter (not a 3.13t), or Skip."""
    vdir = pyenv_versions()
    best = None
    for name in os.listdir(vdir) if vdir else []:
        m = re.fullmatch(re.escape(minor) + r"\.(\d+)", name)
        exe = os.path.join(vdir, name, "bin", "python" + minor)
        if m and os.access(exe, os.X_OK) and (not best or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), exe)
    if not best:
        raise Skip(f"no pyenv CPython {minor}.N in {vdir or '$PYENV_ROOT or ~/.pyenv'}")
    return best[1]


def py_info(python):
    """{version, include, ext_suffix} of an interpreter."""
    if python not in _py_info:
        code = ("import json, sys, sysconfig; print(json.dumps({'version': sys.version_info[:3], "
                "'include': sysconfig.get_paths()['include'], "
                "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX')}))")
        p = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=30)
        if p.returncode:
            raise Fail(f"{python} does not run: {tail(p.stderr)}")
        info = json.loads(p.stdout)
        info["version"] = tuple(info["version"])
        _py_info[python] = info
    return _py_info[python]


def py_env(**extra):
    """The environment for a Python program: none of the PYTHON* variables
    run.py was started with (PYTHONMALLOC above all), and no .pyc files
    written into the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def build_leakext(c, python):
    """leakext.c built for this interpreter into the test's temp dir: that dir."""
    info = py_info(python)
    if not os.path.exists(os.path.join(info["include"], "Python.h")):
        raise Skip(f"no Python.h in {info['include']} for {python} (python3-dev?)")
    out = os.path.join(c.tmp, "ext")
    os.makedirs(out, exist_ok=True)
    cmd = ["gcc", "-shared", "-fPIC", "-g", "-O0", "-fno-omit-frame-pointer",
           "-I" + info["include"], os.path.join(PYDIR, "leakext.c"),
           "-o", os.path.join(out, "leakext" + (info["ext_suffix"] or ".so"))]
    if harness.VERBOSE:
        vprint("$ " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise Fail(f"building leakext.c for {python}: {tail(p.stdout + p.stderr)}")
    return out


def py_prog_env(c, python, pattern, **extra):
    if pattern == "cext":
        extra["PYTHONPATH"] = build_leakext(c, python)
    return py_env(**extra)


def attach_python(c, python, pattern, opts=(), wrap=()):
    env = py_prog_env(c, python, pattern)
    t = c.spawn([python, os.path.join(PYDIR, pattern + ".py"), "-w"], env=env)
    if not t.out.wait_for(r"^ready", 20):
        raise Fail(f"{pattern}.py under {python} never got ready: {tail(t.err.text)}")
    return t, c.attach(t, duration=PY_ATTACH_DURATION, opts=opts, wrap=wrap)


LITE_REPORT = ["-i", "0.5"]  # reports often enough to see a doubling dict's steps

_sid_root = []


def sid_root():
    """The Debian unstable root of scripts/sid-root.sh (its own libc, glibc
    2.43), built once and cached outside the checkout."""
    if not _sid_root:
        r = subprocess.run([os.path.join(ROOT, "scripts", "sid-root.sh")],
                           capture_output=True, text=True)
        if r.returncode or not r.stdout.strip():
            raise Fail(f"scripts/sid-root.sh exited {r.returncode}: {tail(r.stderr)}")
        _sid_root.append(r.stdout.strip().splitlines()[-1])
    return _sid_root[0]


def copy_into_root(c, root, prog):
    """build/prog copied into a fresh dir of root: its path inside the root."""
    d = tempfile.mkdtemp(prefix="leaktrace-it-", dir=os.path.join(root, "tmp"))
    c.extra_dirs.append(d)
    shutil.copy2(os.path.join(BUILD, prog), d)
    return os.path.join("/", os.path.relpath(d, root), prog)
