# SPDX-License-Identifier: MIT
"""Unbounded memoization: Renderer.render keeps every value it ever computed
in a dict that nothing trims. Each new key leaks one fresh 640-byte bytes
object (673 B with its header: above pymalloc's 512 B limit, so one malloc
each), created on the marked line."""

import prog

KEYS = 2000
REPEAT = 80  # 8-byte key * 80


class Renderer:
    def __init__(self):
        self.cache = {}

    def render(self, key):
        value = self.cache.get(key)
        if value is None:
            value = key.to_bytes(8, "little") * REPEAT  # LEAK:dict_cache
            self.cache[key] = value
        return value


RENDERER = Renderer()


def leak():
    for key in range(KEYS):
        RENDERER.render(key)
        RENDERER.render(key)  # a hit, served from the cache
    return KEYS


if __name__ == "__main__":
    prog.run(leak)
