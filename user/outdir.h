/* SPDX-License-Identifier: MIT */
/*
 * --out-dir: one pprof file per period, written atomically, oldest removed
 * past --max-files / --max-bytes / --max-age. Only leaktrace's own files
 * (names "<UTC time>-<service>-<pid>.pb.gz") are counted or removed:
 *
 *   $ ls /var/lib/leaktrace
 *   20261122T054512.345Z-myapp-4242.pb.gz
 *   20261122T054612.351Z-myapp-4242.pb.gz
 */
#ifndef LT_OUTDIR_H
#define LT_OUTDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct outdir;

/* mkdir -p. 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* Write hdr then buf to path.XXXXXX, then rename it to path. 0 or -errno. */
int write_atomic(const char *path, const void *hdr, size_t hlen, const void *buf, size_t len);
/* Caps of 0 are off. Creates dir. 0 or -errno after a message. */
int outdir_new(const char *dir, uint32_t max_files, uint64_t max_bytes, double max_age_s,
	       struct outdir **out);
/* Write buf as dir/name (name must end in ".pb.gz" and sort by time), then
 * rotate. 0 or -errno after a message. */
int outdir_write(struct outdir *o, const char *name, const void *buf, size_t len);
void outdir_free(struct outdir *o);

#endif
