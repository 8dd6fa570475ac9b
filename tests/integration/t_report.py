# SPDX-License-Identifier: MIT
"""Ranking of leak suspects, exports (folded, flame graph, speedscope,
pprof) and the live view.
"""

import json
import os
import re
import shutil
import subprocess
import time

from harness import BUILD, Fail, LEAKTRACE, ROOT, Skip, tail, test
from checks import (check_leaker, check_pprof, expect_stack, go_pprof, leaf, pprof_top, stack_str,
                    summary, suspects_of, validate)


@test(60)
def t_ranking(c):
    """A steady leak is suspect 1; a larger cache that filled once is none."""
    path = os.path.join(c.tmp, "report.json")
    rc, out, err = c.leaktrace(["-i", "1", "-t", "1000", "--json", path, "--",
                                os.path.join(BUILD, "ranking"), "-q"], 40)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    validate(rep, comm="ranking")
    leak = expect_stack(rep, "ranking.c", "leak_step", "ranking", "malloc", 120 * 512, 120,
                        ["main"])
    cache = expect_stack(rep, "ranking.c", "fill_cache", "ranking", "malloc", 256 * 1024, 256,
                         ["main"])
    sus = suspects_of(rep)
    if not sus or leaf(sus[0]).get("function") != "leak_step":
        raise Fail("suspects " + str([leaf(st).get("function") for st in sus])
                   + ", want leak_step first | " + summary(rep))
    if cache.get("suspect") is not False:
        raise Fail(f"the filled cache is a suspect: {stack_str(cache, 2)}")
    rate = leak.get("growth_bytes_per_s", 0)
    if not 5000 <= rate <= 15000:  # 512 B / 50 ms = 10240 B/s
        raise Fail(f"leak_step grows {rate} B/s, want about 10240")
    # text: a "Leak suspects" section led by the leak, then "Largest outstanding"
    final = out[out.find("final report"):]
    m = re.search(r"(?ms)^Leak suspects: .*?^#1 .*?\n\s+(\S+)\+", final)
    if not m or m.group(1) != "leak_step":
        raise Fail("text report: no 'Leak suspects' section led by leak_step: " + tail(out, 600))
    if not re.search(r"(?m)^Largest outstanding: ", final):
        raise Fail("text report: no 'Largest outstanding' section")


def export_paths(c):
    return {k: os.path.join(c.tmp, n) for k, n in
            (("folded", "out.folded"), ("flamegraph", "out.svg"),
             ("speedscope", "out.speedscope.json"), ("pprof", "out.pb.gz"))}


@test(60)
def t_exports(c):
    """Every export of the deterministic leaker, in one run, checked for content."""
    import xml.etree.ElementTree as ET
    import gzip
    paths = export_paths(c)
    rep = c.launch("leaker", opts=("--folded", paths["folded"], "--flamegraph", paths["flamegraph"],
                                   "--speedscope", paths["speedscope"], "--pprof", paths["pprof"]))
    check_leaker(rep)
    folded = {}
    with open(paths["folded"]) as f:
        for ln in f.read().splitlines():
            stack, n = ln.rsplit(" ", 1)
            folded[stack] = int(n)
    want = {"leak_big": 40000, "leak_small": 4800}
    for fn, n in want.items():
        hit = [v for k, v in folded.items() if k.split(";")[-1] == fn and k.split(";")[-2] == "main"]
        if hit != [n]:
            raise Fail(f"folded: {fn} (root first, leaf last after main) {hit}, want [{n}] | {folded}")
    svg = ET.parse(paths["flamegraph"]).getroot()
    text = ET.tostring(svg, encoding="unicode")
    scripts = [el for el in svg.iter() if el.tag.endswith("script")]
    if not svg.tag.endswith("svg") or "leak_big" not in text or not scripts:
        raise Fail("flame graph: not an SVG with the leaking function and its script")
    with open(paths["speedscope"]) as f:
        ss = json.load(f)
    frames = ss["shared"]["frames"]
    prof = ss["profiles"][0]
    if prof["type"] != "sampled" or prof["unit"] != "bytes":
        raise Fail(f"speedscope: profile type {prof['type']}, unit {prof['unit']}")
    if sum(prof["weights"]) != sum(folded.values()):
        raise Fail(f"speedscope weights {sum(prof['weights'])} != folded {sum(folded.values())}")
    names = {frames[s[-1]]["name"] for s in prof["samples"]}
    if "leak_big" not in names or "leak_small" not in names:
        raise Fail(f"speedscope leaf frames {names}")
    with open(paths["pprof"], "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b" or not gzip.decompress(raw):
        raise Fail("pprof: not gzipped")


@test(180)
def t_pprof_go_tool(c):
    """go tool pprof reads the pprof and ranks the leaking function first."""
    path = os.path.join(c.tmp, "heap.pb.gz")
    rep = c.launch("leaker", opts=("--pprof", path))
    check_leaker(rep)
    check_pprof(c, path, ("inuse_space/bytes", "alloc_objects/count", "pid:", "comm:"),
                "leak_big")
    top = pprof_top(go_pprof(c, ["-top", "-sample_index=alloc_objects", path]))
    if not top or top[0] != "leak_small":
        raise Fail(f"alloc_objects ranks {top[:3]}, want leak_small (100 objects) first")


@test(60)
def t_live_view(c):
    """--live in tmux: shows the leaking function, quits on q with the final report."""
    tmux = shutil.which("tmux")
    if not tmux:
        raise Skip("no tmux")
    sock = os.path.join(c.tmp, "tmux.sock")
    out = os.path.join(c.tmp, "after.txt")
    cmd = (f"{LEAKTRACE} --live -i 1 -- {os.path.join(BUILD, 'ranking')} -q; "
           f"echo EXIT=$? > {out}; sleep 60")
    subprocess.run([tmux, "-S", sock, "new-session", "-d", "-x", "160", "-y", "40", cmd],
                   check=True, cwd=ROOT)
    try:
        screen = ""
        for _ in range(40):
            time.sleep(0.25)
            screen = subprocess.run([tmux, "-S", sock, "capture-pane", "-p"],
                                    capture_output=True, text=True).stdout
            if "leak_step" in screen and "[q] quit" in screen:
                break
        else:
            raise Fail("live view never showed leak_step: " + tail(screen, 600))
        subprocess.run([tmux, "-S", sock, "send-keys", "q"], check=True)
        for _ in range(60):
            time.sleep(0.25)
            if os.path.exists(out) and os.path.getsize(out):
                break
        screen = subprocess.run([tmux, "-S", sock, "capture-pane", "-p", "-S", "-200"],
                                capture_output=True, text=True).stdout
        if not os.path.exists(out):
            raise Fail("leaktrace did not quit on q: " + tail(screen, 400))
        if "final report" not in screen or "leak_step" not in screen:
            raise Fail("no final report after q: " + tail(screen, 600))
    finally:
        subprocess.run([tmux, "-S", sock, "kill-server"], capture_output=True)


@test(30)
def t_live_not_a_terminal(c):
    """--live with stdout not a terminal prints plain reports."""
    rc, out, err = c.leaktrace(["--live", "-i", "1", "--", os.path.join(BUILD, "leaker"), "-q"], 20)
    if rc != 0 or "final report" not in out or "leak_big" not in out:
        raise Fail(f"exit {rc}; stdout: {tail(out)}")
