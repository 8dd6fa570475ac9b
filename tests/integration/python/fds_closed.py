# SPDX-License-Identifier: MIT
"""Files, sockets and pipes, every one closed: no descriptor is left."""

import os
import socket
import tempfile

import prog

COUNT = 30
DIR = tempfile.mkdtemp(prefix="leaktrace-fds-")


def work(i):
    with open(os.path.join(DIR, f"f{i}"), "w") as f:
        f.write("x")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM):
        pass
    r, w = os.pipe()
    os.close(r)
    os.close(w)


def leak():
    for i in range(COUNT):
        work(i)
    return 0


if __name__ == "__main__":
    prog.run(leak)
