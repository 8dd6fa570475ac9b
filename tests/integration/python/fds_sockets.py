# SPDX-License-Identifier: MIT
"""A socket leak: connections made and kept in a pool nobody drains."""

import socket

import prog

COUNT = 25
POOL = []


def connect(i):
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # LEAK:fds_sockets


def leak():
    for i in range(COUNT):
        POOL.append(connect(i))
    return COUNT


if __name__ == "__main__":
    prog.run(leak)
