# SPDX-License-Identifier: MIT
"""Sampling (--sample-bytes): exact totals without it, estimates with it,
every byte with 1.
"""

import os

from harness import BUILD, Fail, base, tail, test
from checks import (check_allocators, check_leaker, check_pprof, check_reallocs, expect_absent,
                    expect_nstacks, expect_stack, expect_totals, leaf, marker, stack_str, summary,
                    validate)

SAMPLE_N = 4096
SAMPLER_LEAKS = {  # function: (allocator, exact bytes, allocations), as sampler.c makes them
    "leak_small": ("malloc", sum(200 + i * 7919 % 401 for i in range(50000)), 50000),
    "leak_large": ("calloc", sum(300 + i * 104729 % 1101 for i in range(50000)), 50000),
    "realloc_grow": ("realloc", 5000 * 3000, 5000),
}


@test(60)
def t_sample_exact_totals(c):
    """Without --sample-bytes, sampler.c's leaks are exact: the reference."""
    rep = c.launch("sampler")
    validate(rep, comm="sampler")
    for fn, (alloc, nbytes, allocs) in SAMPLER_LEAKS.items():
        expect_stack(rep, "sampler.c", fn, "sampler", alloc, nbytes, allocs, ["main"])
    expect_absent(rep, "sampler.c", "churn", "grow_start")
    expect_nstacks(rep, 3)
    expect_totals(rep, sum(v[1] for v in SAMPLER_LEAKS.values()),
                  sum(v[2] for v in SAMPLER_LEAKS.values()))


@test(180)
def t_sample_estimates(c):
    """--sample-bytes 4096: per-function bytes and allocations within 10% of
    the exact totals (each leak gets 2,500+ samples: standard errors of
    0.9-1.5%, so 10% is over 6 of them), freed blocks gone (also those realloc
    moved), the report and the pprof say it is sampled."""
    path = os.path.join(c.tmp, "report.json")
    prof = os.path.join(c.tmp, "heap.pb.gz")
    rc, out, err = c.leaktrace(["-t", "1000", "--json", path, "--pprof", prof,
                                "--sample-bytes", str(SAMPLE_N), "--",
                                os.path.join(BUILD, "sampler"), "-q"], 40)
    if rc != 0:
        raise Fail(f"leaktrace exited {rc}; stderr: {tail(err)}")
    rep = c.report(path, rc, err)
    validate(rep, comm="sampler", mode="sampled")
    if rep.get("sample_bytes") != SAMPLE_N:
        raise Fail(f"sample_bytes={rep.get('sample_bytes')!r}, want {SAMPLE_N}")
    if "sampled mode" not in out or f"--sample-bytes {SAMPLE_N}" not in out \
            or "estimates" not in out:
        raise Fail("text report does not say it is sampled: " + tail(out, 400))
    expect_absent(rep, "sampler.c", "churn", "grow_start")
    wrong = []
    for fn, (alloc, nbytes, allocs) in SAMPLER_LEAKS.items():
        fname, line = marker("sampler.c", fn)
        hits = [st for st in rep["stacks"] if leaf(st).get("function") == fn]
        if len(hits) != 1:
            wrong.append(f"{len(hits)} stacks for {fn}, want 1")
            continue
        st = hits[0]
        fr = leaf(st)
        if (base(fr.get("file")), fr.get("line")) != (fname, line) or st["allocator"] != alloc \
                or [f.get("function") for f in st["frames"][1:2]] != ["main"]:
            wrong.append(f"{fn}: {stack_str(st)}, want {alloc} at {fname}:{line} from main")
        for what, got, want in (("bytes", st["bytes"], nbytes), ("allocs", st["allocs"], allocs)):
            if abs(got - want) > 0.1 * want:
                wrong.append(f"{fn}: {what} {got}, exact {want} ({(got - want) / want:+.1%})")
    if wrong:
        raise Fail("; ".join(wrong) + " | " + summary(rep))
    expect_nstacks(rep, 3)
    check_pprof(c, prof, ("PeriodType: space bytes", f"Period: {SAMPLE_N}\n",
                          "inuse_space/bytes"), "leak_large")


@test(60)
def t_sample_every_byte(c):
    """--sample-bytes 1 samples every allocation of 32+ bytes at weight 1
    (p = 1 - e^-32): the exact tests' programs give their exact results
    through the sampling paths (sessions, nesting, realloc, posix_memalign)."""
    opts = ("--sample-bytes", "1")
    rep = c.launch("leaker", opts=opts)
    validate(rep, comm="leaker", mode="sampled")
    check_leaker(rep)
    check_reallocs(c.launch("reallocs", opts=opts), mode="sampled")
    check_allocators(c.launch("allocators", opts=opts), mode="sampled")
