/* SPDX-License-Identifier: MIT */
/*
 * The report as a gzipped pprof heap profile (profile.proto), readable by
 * `go tool pprof`, Pyroscope, Parca and speedscope. Same conventions as Go's
 * heap profiles, so `-sample_index=inuse_space` shows the leaks:
 *
 *   $ go tool pprof -raw leaks.pb.gz
 *   PeriodType: space bytes
 *   Period: 1
 *   Samples:
 *   alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]
 *           25     102400         10      40960: 1 2 3 4
 *                   bytes:[4096 bytes]
 *                   comm:[demo]
 *                     pid:[4242]
 *   ...
 *
 * See export_pprof.c for how each value is computed.
 */
#ifndef LT_EXPORT_PPROF_H
#define LT_EXPORT_PPROF_H

#include <stdio.h>

struct lt_profile;

/* Write p to f (gzip stream, binary). f stays open and is flushed; on
 * error part of a profile may have been written. 0, -ENOMEM, -E2BIG (a
 * table or string past the encoder's bounds), -EIO or the write's errno. */
int export_pprof(FILE *f, const struct lt_profile *p);

#endif
