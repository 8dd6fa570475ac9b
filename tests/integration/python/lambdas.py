# SPDX-License-Identifier: MIT
"""A growing list of lambdas: EventBus.subscribe registers a new listener per
call and nothing unsubscribes. Each lambda is a fresh function object (about
140-170 B, so pymalloc's in attach mode: only PyObject_Malloc sees it), made
on the marked line; the code object is shared. The lambdas capture nothing
and take no defaults: a closure or a defaults tuple would be one more object
per lambda, some from other lines or from a free list."""

import prog

COUNT = 4000


class EventBus:
    def __init__(self):
        self.listeners = []

    def subscribe(self, count):
        for _ in range(count):
            self.listeners.append(lambda event: len(event))  # LEAK:lambdas
        return count


BUS = EventBus()


def leak():
    return BUS.subscribe(COUNT)


if __name__ == "__main__":
    prog.run(leak)
