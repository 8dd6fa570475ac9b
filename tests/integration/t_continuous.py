# SPDX-License-Identifier: MIT
"""Continuous mode: --out-dir, and --push to a loopback Pyroscope stand-in
(receiver.py), with retries, auth and a bounded spool.
"""

import json
import os
import re
import signal
import time

import receiver
from harness import BUILD, Fail, LEAKTRACE, READY_TIMEOUT, tail, test
from checks import check_pprof

NO_PROXY_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
SUMMARY = re.compile(r"continuous: (\d+) profiles, (\d+) pushed, (\d+) dropped, "
                     r"(\d+) rejected, (\d+) left")


def summary_of(err):
    m = SUMMARY.search(err)
    if not m:
        raise Fail(f"no 'continuous: ...' summary line; stderr: {tail(err)}")
    return dict(zip(("profiles", "pushed", "dropped", "rejected", "left"), map(int, m.groups())))


def spool_files(d):
    try:
        return sorted(n for n in os.listdir(d) if n.endswith(".push"))
    except FileNotFoundError:
        return []


def dir_bytes(d):
    total = 0
    for n in os.listdir(d) if os.path.isdir(d) else ():
        try:
            total += os.path.getsize(os.path.join(d, n))
        except FileNotFoundError:
            pass
    return total


def push_run(c, port, spool, prog="ranking", opts=(), during=None):
    """leaktrace --every 1 --push -- prog -q; during(lt) is polled every 20 ms
    while it runs. Returns stderr."""
    lt = c.last = c.spawn([LEAKTRACE, "--every", "1", "--push", f"http://127.0.0.1:{port}",
                           "--spool", spool, *opts, "--", os.path.join(BUILD, prog), "-q"],
                          env=NO_PROXY_ENV)
    deadline = time.monotonic() + 30
    while lt.wait(0.02) is None:
        if during:
            during(lt)
        if time.monotonic() > deadline:
            raise Fail(f"leaktrace still running after 30 s: {tail(lt.err.text)}")
    if lt.rc != 0:
        raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(lt.err.text)}")
    return lt.err.text


def check_in_order(reqs):
    """Windows follow each other: from < until, each from = the previous until."""
    w = [(int(r["query"]["from"]), int(r["query"]["until"])) for r in reqs]
    for i, (f, u) in enumerate(w):
        if not f < u:
            raise Fail(f"request {i}: from {f} not before until {u}")
        if i and f != w[i - 1][1]:
            raise Fail(f"request {i}: window {f}..{u} does not follow {w[i - 1]} (all: {w})")


@test(60)
def t_continuous_push(c):
    """-p PID --every 1 --push: each period a well-formed /ingest request, labels included;
    go tool pprof decodes the profile and ranks the leak first."""
    import gzip
    import socket
    tgt = c.start_target("leaker")
    with open(f"/proc/{tgt.pid}/cgroup") as f:
        cgroup = [ln[3:].strip() for ln in f if ln.startswith("0::")][0]
    port = receiver.free_port()
    rec = receiver.Receiver(port).start()
    spool = os.path.join(c.tmp, "spool")
    try:
        lt = c.last = c.spawn([LEAKTRACE, "-p", str(tgt.pid), "-d", "3.5", "--every", "1",
                               "--push", f"http://127.0.0.1:{port}/", "--service", "myapp",
                               "--spool", spool], env=NO_PROXY_ENV)
        if not lt.err.wait_for(r"^leaktrace: tracing", READY_TIMEOUT):
            raise Fail(f"no 'leaktrace: tracing' line; stderr: {tail(lt.err.text)}")
        tgt.signal(signal.SIGUSR1)
        if not tgt.out.wait_for(r"^done", 10):
            raise Fail("leaker did not finish its work")
        if lt.wait(25) != 0:
            raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(lt.err.text)}")
        if "mode: lite (the default for continuous use)" not in lt.out.text:
            raise Fail("continuous mode did not default to lite: " + tail(lt.out.text))
        reqs = rec.received()
    finally:
        rec.stop()
    st = summary_of(lt.err.text)
    if not 3 <= st["profiles"] <= 5 or st["pushed"] != st["profiles"] or len(reqs) != st["pushed"]:
        raise Fail(f"{len(reqs)} requests, summary {st}: want one per period (3.5 s, every 1 s)")
    name = (f"myapp{{service_name=myapp,pid={tgt.pid},comm=leaker,cgroup={cgroup},"
            f"hostname={socket.gethostname()}}}")
    for i, r in enumerate(reqs):
        q = r["query"]
        want = {"name": name, "format": "pprof", "spyName": "leaktrace"}
        bad = {k: q.get(k) for k, v in want.items() if q.get(k) != v}
        if r["path"] != "/ingest" or bad:
            raise Fail(f"request {i}: path {r['path']}, wrong {bad}; want {want}")
        if not r["content_type"].startswith("multipart/form-data"):
            raise Fail(f"request {i}: content type {r['content_type']}")
        prof = r["parts"].get("profile") or b""
        if prof[:2] != b"\x1f\x8b" or not gzip.decompress(prof):
            raise Fail(f"request {i}: the profile part is not gzip ({prof[:4]!r})")
        stc = json.loads(r["parts"].get("sample_type_config") or b"{}")
        types = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")
        if sorted(stc) != sorted(types) or any(stc[t].get("cumulative") is not False for t in types):
            raise Fail(f"request {i}: sample_type_config {stc}")
    check_in_order(reqs)
    if spool_files(spool):
        raise Fail(f"delivered profiles left in the spool: {spool_files(spool)}")
    path = os.path.join(c.tmp, "last.pb.gz")
    with open(path, "wb") as f:
        f.write(reqs[-1]["parts"]["profile"])
    check_pprof(c, path, ("inuse_space/bytes", "leak_big", "leak_small", f"pid:[{tgt.pid}]"),
                "leak_big")


@test(60)
def t_continuous_push_retry(c):
    """Receiver down for two periods, then up: every period arrives, in order."""
    port = receiver.free_port()
    rec = receiver.Receiver(port)
    spool = os.path.join(c.tmp, "spool")
    state = {}

    def bring_up(lt):
        files = spool_files(spool)
        if "up" in state or len(files) < 2:
            return
        state["up"] = []  # the windows that waited, oldest first
        for n in files:
            with open(os.path.join(spool, n), "rb") as f:
                state["up"].append(int(re.search(rb"until=(\d+)", f.readline()).group(1)))
        rec.start()

    try:
        err = push_run(c, port, spool, during=bring_up)
        reqs = rec.received()
    finally:
        rec.stop()
    if "up" not in state:
        raise Fail(f"the spool never held 2 profiles; stderr: {tail(err)}")
    st = summary_of(err)
    if "cannot push" not in err:
        raise Fail(f"the outage was not logged: {tail(err)}")
    if (len(reqs) != st["profiles"] or st["pushed"] != st["profiles"] or st["dropped"]
            or st["left"] or st["profiles"] < 5):
        raise Fail(f"{len(reqs)} requests for summary {st}; stderr: {tail(err)}")
    early = [int(r["query"]["until"]) for r in reqs[:len(state["up"])]]
    if early != state["up"]:
        raise Fail(f"the spooled windows (until {state['up']}) came as {early}")
    check_in_order(reqs)
    if spool_files(spool):
        raise Fail(f"profiles left in the spool: {spool_files(spool)}")


@test(60)
def t_continuous_push_auth(c):
    """A bearer token from LEAKTRACE_PUSH_TOKEN_FILE on every request; the
    receiver answers 403 twice (an auth outage), then 200: no profile is
    dropped, all arrive in order; the URL's password is never logged."""
    port = receiver.free_port()
    rec = receiver.Receiver(port, statuses=(403, 403)).start()
    spool = os.path.join(c.tmp, "spool")
    tok = os.path.join(c.tmp, "token")
    with open(tok, "w") as f:
        f.write("s3cr3t-t0ken\n")
    lt = c.last = c.spawn([LEAKTRACE, "--every", "1", "--push",
                           f"http://ingest:pa55w0rd@127.0.0.1:{port}", "--spool", spool, "-v",
                           "--", os.path.join(BUILD, "ranking"), "-q"],
                          env={**NO_PROXY_ENV, "LEAKTRACE_PUSH_TOKEN_FILE": tok})
    try:
        if lt.wait(40) is None:
            raise Fail(f"leaktrace still running after 40 s: {tail(lt.err.text)}")
        reqs = rec.received()
    finally:
        rec.stop()
    err = lt.err.text
    if lt.rc != 0:
        raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(err)}")
    st = summary_of(err)
    if [r["status"] for r in reqs[:2]] != [403, 403]:
        raise Fail(f"the receiver's first answers were {[r['status'] for r in reqs[:3]]}")
    ok = [r for r in reqs if r["status"] == 200]
    if st["dropped"] or st["rejected"] or st["left"] or len(ok) != st["profiles"] or \
            st["pushed"] != st["profiles"]:
        raise Fail(f"{len(ok)} delivered for summary {st}; stderr: {tail(err)}")
    check_in_order(ok)
    bad = [r["auth"] for r in reqs if r["auth"] != "Bearer s3cr3t-t0ken"]
    if bad:
        raise Fail(f"requests without the token: {bad[:3]}")
    for secret in ("pa55w0rd", "s3cr3t"):
        if secret in err or secret in lt.out.text:
            raise Fail(f"{secret!r} is in leaktrace's output: {tail(err)}")
    if "cannot push to http://***@127.0.0.1" not in err:
        raise Fail(f"the outage was not logged with the URL redacted: {tail(err)}")


@test(30)
def t_continuous_spool_unsafe(c):
    """A world-writable spool, or a symlink as the spool: refused, with why."""
    port = receiver.free_port()
    for how in ("world", "symlink"):
        spool = os.path.join(c.tmp, how)
        if how == "world":
            os.makedirs(spool)
            os.chmod(spool, 0o777)
        else:
            os.makedirs(spool + ".real", mode=0o700)
            os.symlink(spool + ".real", spool)
        rc, out, err = c.leaktrace(["--every", "1", "--push", f"http://127.0.0.1:{port}",
                                    "--spool", spool, "--", os.path.join(BUILD, "ranking"), "-q"],
                                   20, env=NO_PROXY_ENV)
        if rc == 0 or "the spool" not in err:
            raise Fail(f"{how} spool: exit {rc}, stderr {tail(err)}; want a refusal")


@test(60)
def t_continuous_spool_cap(c):
    """Receiver down: the spool stays under --spool-max, the oldest are dropped and
    counted; the next run delivers what is left first, in order."""
    port = receiver.free_port()
    spool = os.path.join(c.tmp, "spool")
    cap = 2048
    peak = [0]

    def watch(lt):
        peak[0] = max(peak[0], dir_bytes(spool))

    err = push_run(c, port, spool, opts=("--spool-max", str(cap)), during=watch)
    watch(None)
    st = summary_of(err)
    left = spool_files(spool)
    if peak[0] > cap or not left:
        raise Fail(f"spool peaked at {peak[0]} bytes (cap {cap}), {len(left)} files left")
    if (not st["dropped"] or st["pushed"] or st["left"] != len(left)
            or st["dropped"] + st["left"] != st["profiles"]):
        raise Fail(f"summary {st}, {len(left)} files left")
    if "dropped its oldest profile" not in err:
        raise Fail(f"drops not logged: {tail(err)}")
    with open(os.path.join(spool, left[-1]), "rb") as f:
        last_kept = f.readline()
    # what was kept is the newest: the last period's window ends last
    untils = []
    for n in left:
        with open(os.path.join(spool, n), "rb") as f:
            untils.append(int(re.search(rb"until=(\d+)", f.readline()).group(1)))
    if untils != sorted(untils):
        raise Fail(f"spool files out of order: {untils}")
    rec = receiver.Receiver(port).start()
    try:
        err2 = push_run(c, port, spool, prog="leaker")
        reqs = rec.received()
    finally:
        rec.stop()
    st2 = summary_of(err2)
    if "from an earlier run" not in err2 or len(reqs) != len(left) + st2["profiles"]:
        raise Fail(f"second run: {len(reqs)} requests, want {len(left)} spooled + "
                   f"{st2['profiles']} new; stderr: {tail(err2)}")
    got = [int(r["query"]["until"]) for r in reqs[:len(left)]]
    if got != untils or b"comm%3Dranking" not in last_kept:
        raise Fail(f"the spool was delivered as {got}, want {untils} first")
    if "comm=leaker" not in reqs[-1]["query"]["name"] or spool_files(spool):
        raise Fail(f"last request {reqs[-1]['query']}, spool {spool_files(spool)}")


@test(60)
def t_continuous_out_dir(c):
    """--out-dir --max-files 3: one pprof per period, never more than 3 kept, the newest."""
    import gzip
    out = os.path.join(c.tmp, "profiles")
    peak = [0]

    def ours():
        return sorted(n for n in os.listdir(out) if n.endswith(".pb.gz")) \
            if os.path.isdir(out) else []

    lt = c.last = c.spawn([LEAKTRACE, "--every", "1", "--out-dir", out, "--max-files", "3",
                           "--service", "svc", "--", os.path.join(BUILD, "ranking"), "-q"])
    while lt.wait(0.02) is None:
        peak[0] = max(peak[0], len(ours()))
    if lt.rc != 0:
        raise Fail(f"leaktrace exited {lt.rc}; stderr: {tail(lt.err.text)}")
    m = re.search(r"continuous: (\d+) profiles", lt.err.text)
    files = ours()
    if not m or int(m.group(1)) < 5 or len(files) != 3 or peak[0] > 3:
        raise Fail(f"{files} (peak {peak[0]}) after {m and m.group(0)}; want the last 3 of >= 5")
    if not all(re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z-svc-\d+\.pb\.gz", n) for n in files):
        raise Fail(f"file names {files}")
    if os.path.exists(os.path.join(out, "spool")):
        raise Fail("a spool without --push")
    with open(os.path.join(out, files[-1]), "rb") as f:
        data = gzip.decompress(f.read())
    if b"leak_step" not in data or b"fill_cache" not in data:
        raise Fail("the newest profile lacks leak_step / fill_cache")
