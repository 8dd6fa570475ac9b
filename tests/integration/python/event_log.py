# SPDX-License-Identifier: MIT
"""A global list used as an event log: log_event appends a new dict per event
and nothing ever trims EVENTS. Each event's text is a fresh ~620-character str
(above pymalloc's 512 B limit, so one malloc each) built on the marked line
together with its dict."""

import prog

EVENTS = []
KINDS = ("open", "read", "close")
PAD = "." * 600  # built once, at import: only the f-string below is per event
COUNT = 2000


def log_event(seq, kind):
    EVENTS.append({"seq": seq, "text": f"{kind} #{seq:06d} {PAD}"})  # LEAK:event_log


def leak():
    for seq in range(COUNT):
        log_event(seq, KINDS[seq % len(KINDS)])
    return COUNT


if __name__ == "__main__":
    prog.run(leak)
