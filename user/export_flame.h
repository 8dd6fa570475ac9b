/* SPDX-License-Identifier: MIT */
/*
 * A self-contained interactive flame graph of outstanding bytes: one SVG
 * file (or an HTML page wrapping the same SVG) with a small embedded script
 * and no external assets. Root ("all") at the bottom, callers below
 * callees, children in name order, width = outstanding bytes. Frames are
 * named as in export_folded.h; native frames are warm (red/orange, class
 * "fr-native"), Python frames cool (green/teal, class "fr-python"), the
 * colour within a family hashed from the name so it is stable across runs.
 *
 * In a viewer: hover shows a tooltip (name, bytes, share, outstanding
 * allocations, file:line) and the same on the status line; click zooms on
 * a frame (its callers dimmed, everything else hidden), "Reset zoom" or
 * Esc returns; "Search" (or Ctrl-F, /) highlights frames whose name matches
 * a regular expression and prints the matched share of all bytes, counting
 * nested matches once. Frames narrower than 0.1 px at full width are left
 * out, like flamegraph.pl's --minwidth.
 *
 * Each frame is one element, e.g.
 *
 *   <g class="f fr-native" data-o="0" data-v="4096" data-d="2">
 *   <title>xmalloc&#10;4096 bytes (4.0 KiB), 40.00%, 12 allocations&#10;util.c:12</title>
 *   <rect x="10.0" y="..." width="472.00" height="15" fill="#f0703c"/>
 *   <text x="13.0" y="...">xmalloc</text></g>
 *
 * data-o/data-v are the frame's byte offset and bytes, data-d its depth:
 * the script lays frames out from these when zooming. The output is the
 * same byte for byte for the same profile.
 */
#ifndef LT_EXPORT_FLAME_H
#define LT_EXPORT_FLAME_H

#include <stdbool.h>
#include <stdio.h>
#include "profile.h"

/* html: wrap the SVG in a minimal HTML page. 0 or -errno (-ENOMEM, -EIO). */
int export_flamegraph(FILE *f, const struct lt_profile *p, bool html);

#endif
