# SPDX-License-Identifier: MIT
"""One program under two names (LT_REUSE_NAME, alpha or omega, of one
length): run by t_hostile's pid_reuse with ASLR off and one hash seed, so
that the second, started under the first's pid once it is gone, has its
code objects where the first had its. Prints "code 0x..." (the leaking
function's code object) before "ready"."""

import os
import sys

import prog

NAME = os.environ.get("LT_REUSE_NAME", "alpha")
SRC = f"""
KEEP = []


def leak_{NAME}():
    for i in range(200):
        KEEP.append(bytearray(1000))  # LEAK:pid_reuse
    return 200
"""
ns = {}
exec(compile(SRC, os.path.join(os.path.dirname(__file__), "pid_reuse_code.py"), "exec"), ns)
leak = ns[f"leak_{NAME}"]
print(f"code {id(leak.__code__):#x}", flush=True)
sys.stdout.flush()
prog.run(leak)
