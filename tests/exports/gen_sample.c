// SPDX-License-Identifier: MIT
/*
 * Writes a sample profile through every exporter, for checks with real
 * clients (check.sh): gen_sample DIR [N] -> DIR/sample.{folded,svg,html,
 * speedscope.json}. With N, N more random stacks (up to 48 frames from a
 * pool of 300 names) are added, to check size, speed and pruning.
 * Stacks are written root first as "frame;frame;...", a frame being
 * "name@file:line" (native), "py:name@file:line" (Python), "mod:PATH+OFF"
 * (native, no symbol) or "addr:HEX" (no mapping).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "export_flame.h"
#include "export_folded.h"
#include "export_pprof.h"
#include "export_speedscope.h"

static const char *const spec[] = {
	"main@/src/srv/main.c:40;parse_config@/src/srv/config.c:88;xstrdup@/src/srv/util.c:21",
	"main@/src/srv/main.c:40;parse_config@/src/srv/config.c:91;xmalloc@/src/srv/util.c:12",
	"main@/src/srv/main.c:52;load_plugins@/src/srv/plugin.c:30;"
	"mod:/opt/srv/lib/libauth.so+0x1a2b;xmalloc@/src/srv/util.c:12",
	"main@/src/srv/main.c:52;load_plugins@/src/srv/plugin.c:33;"
	"mod:/opt/srv/lib/libauth.so+0x2200;addr:7f00deadbeef",
	"main@/src/srv/main.c:60;server_loop@/src/srv/loop.c:77;"
	"handle_request@/src/srv/http.c:120;parse_headers@/src/srv/http.c:300;"
	"xstrdup@/src/srv/util.c:21",
	"main@/src/srv/main.c:60;server_loop@/src/srv/loop.c:77;"
	"handle_request@/src/srv/http.c:131;alloc_buffer@/src/srv/buf.c:18;"
	"xmalloc@/src/srv/util.c:12",
	"main@/src/srv/main.c:60;server_loop@/src/srv/loop.c:77;"
	"handle_request@/src/srv/http.c:140;cache_insert@/src/srv/cache.c:55;"
	"hashmap_grow@/src/srv/hashmap.c:71",
	"main@/src/srv/main.c:60;server_loop@/src/srv/loop.c:80;"
	"Session<Conn&>::open@/src/srv/session.cc:9;operator new(unsigned long)",
	"main@/src/srv/main.c:60;server_loop@/src/srv/loop.c:83;"
	"log_line@/src/srv/log.c:14;vasprintf",
	"py:<module>@/srv/app/app.py:30;py:run@/srv/app/app.py:12;"
	"py:Cache.load@/srv/app/cache.py:40;"
	"py:json.loads@/usr/lib/python3.11/json/__init__.py:346",
	"py:<module>@/srv/app/app.py:30;py:run@/srv/app/app.py:14;"
	"py:Cache.store@/srv/app/cache.py:61;py:<listcomp>@/srv/app/cache.py:62",
	"py:<module>@/srv/app/app.py:30;py:run@/srv/app/app.py:15;"
	"py:Worker.step@/srv/app/worker.py:88;_cffi_alloc;xmalloc@/src/srv/util.c:12",
	"py:<module>@/srv/app/app.py:31;py:report@/srv/app/app.py:20;"
	"py:fmt_row@/srv/app/report.py:7",
	"",
};

static void parse_frame(char *tok, struct lt_out_frame *f)
{
	char *at, *colon;

	memset(f, 0, sizeof(*f));
	if (!strncmp(tok, "addr:", 5)) {
		f->n.addr = strtoull(tok + 5, NULL, 16);
		return;
	}
	if (!strncmp(tok, "mod:", 4)) {
		char *plus = strrchr(tok, '+');

		*plus = '\0';
		f->n.module = strdup(tok + 4);
		f->n.module_offset = strtoull(plus + 1, NULL, 16);
		f->n.addr = 0x7f0000000000 + f->n.module_offset;
		return;
	}
	f->python = !strncmp(tok, "py:", 3);
	if (f->python)
		tok += 3;
	at = strchr(tok, '@');
	if (at) {
		*at = '\0';
		colon = strrchr(at + 1, ':');
		*colon = '\0';
		if (f->python) {
			f->p.file = strdup(at + 1);
			f->p.line = atoi(colon + 1);
		} else {
			f->n.file = strdup(at + 1);
			f->n.line = atoi(colon + 1);
		}
	}
	if (f->python)
		f->p.function = strdup(tok);
	else
		f->n.function = strdup(tok);
	f->n.addr = 0x400000;
}

static int write_one(const char *dir, const char *name, const struct lt_profile *p, int kind)
{
	char path[4096];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	err = kind == 0   ? export_folded(f, p)
	      : kind == 1 ? export_flamegraph(f, p, false)
	      : kind == 2 ? export_flamegraph(f, p, true)
	      : kind == 3 ? export_speedscope(f, p)
			  : export_pprof(f, p);
	fclose(f);
	return err;
}

/* Random stack number i: root-first spec text, deterministic. */
static char *random_spec(uint32_t *seed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int depth;

	*seed = *seed * 1103515245 + 12345;
	depth = 2 + (*seed >> 8) % 47;
	for (int d = 0; d < depth; d++) {
		*seed = *seed * 1103515245 + 12345;
		/* shallow frames from a small pool, so prefixes are shared */
		unsigned pool = d < 4 ? 3 + d * 2 : 300;
		unsigned k = (*seed >> 8) % pool;

		if (d)
			fputc(';', f);
		if (k % 3 == 0)
			fprintf(f, "py:func_%u@/srv/app/mod%u.py:%u", k, k % 17, 10 + k);
		else
			fprintf(f, "native_fn_%u@/src/lib/file%u.c:%u", k, k % 23, 100 + k);
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	size_t nfix = sizeof(spec) / sizeof(spec[0]);
	size_t n = nfix + (argc > 2 ? strtoul(argv[2], NULL, 10) : 0);
	struct lt_prof_stack *st = calloc(n, sizeof(*st));
	struct lt_site *site = calloc(n, sizeof(*site));
	struct lt_profile p = { .pid = 31337, .comm = "srv", .mode = "exact", .duration_s = 12.5 };
	uint32_t seed = 12345;
	int err = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s DIR [N]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		char *s = i < nfix ? strdup(spec[i]) : random_spec(&seed), *save = NULL, *tok;
		struct lt_out_frame fr[64];
		int k = 0;

		for (tok = strtok_r(s, ";", &save); tok && k < 64; tok = strtok_r(NULL, ";", &save))
			parse_frame(tok, &fr[k++]);
		st[i].frames = calloc(k ? k : 1, sizeof(*fr));
		for (int j = 0; j < k; j++) /* leaf first */
			st[i].frames[j] = fr[k - 1 - j];
		st[i].nframes = k;
		seed = seed * 1103515245 + 12345;
		site[i].bytes = 4096 + (seed >> 8) % 900000;
		site[i].allocs = 1 + (seed >> 4) % 300;
		site[i].total_allocs = site[i].allocs * 3;
		st[i].site = &site[i];
		st[i].allocator = "malloc";
	}
	p.stacks = st;
	p.n = n;
	err = err ?: write_one(argv[1], "sample.folded", &p, 0);
	err = err ?: write_one(argv[1], "sample.svg", &p, 1);
	err = err ?: write_one(argv[1], "sample.html", &p, 2);
	err = err ?: write_one(argv[1], "sample.speedscope.json", &p, 3);
	err = err ?: write_one(argv[1], "sample.pb.gz", &p, 4);
	if (err)
		fprintf(stderr, "export failed: %s\n", strerror(-err));
	return err ? 1 : 0;
}
