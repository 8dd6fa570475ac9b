#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Does a leaktrace --json report name the known leak line?

    leakcheck.py REPORT.json FILE LINE

Looks at the top suspect (fastest growing) and, when there is no suspect, at
the largest stack; prints one word and why, e.g. "yes (top suspect)",
"no (top suspect at other.py:12)", "no (no Python frame)".
"""
import json
import os
import sys


def innermost(stack):
    for fr in stack.get("frames", []):
        if fr.get("kind") == "python":
            return fr
    return None


def main():
    path, want_file, want_line = sys.argv[1], os.path.basename(sys.argv[2]), int(sys.argv[3])
    try:
        with open(path) as f:
            stacks = json.load(f).get("stacks", [])
    except (OSError, ValueError) as e:
        print("no (no report: %s)" % e.__class__.__name__)
        return
    suspects = [s for s in stacks if s.get("suspect")]
    if suspects:
        top, what = max(suspects, key=lambda s: s.get("growth_bytes_per_s", 0)), "top suspect"
    elif stacks:
        top, what = max(stacks, key=lambda s: s.get("bytes", 0)), "largest, no suspect"
    else:
        print("no (no stacks)")
        return
    fr = innermost(top)
    if not fr:
        print("no (%s has no Python frame)" % what)
    elif os.path.basename(fr.get("file", "")) == want_file and fr.get("line") == want_line:
        print("yes (%s)" % what)
    else:
        print("no (%s at %s:%s)" % (what, os.path.basename(fr.get("file", "?")), fr.get("line")))


if __name__ == "__main__":
    main()
