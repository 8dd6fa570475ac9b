// SPDX-License-Identifier: MIT
/* Exporters on a hand-built profile: folded goldens, escaping and merging;
 * the flame graph and speedscope files checked by python3's own XML and
 * JSON parsers (the real-client checks live in tests/exports/). */
#include <stdlib.h>
#include <unistd.h>
#include "export_flame.h"
#include "export_folded.h"
#include "export_speedscope.h"
#include "unit.h"

#define NF(fn, f, l) \
	{ .python = false, .n = { .addr = 0x401000, .function = fn, .file = f, .line = l } }
#define PF(fn, f, l) { .python = true, .p = { .function = fn, .file = f, .line = l } }

/* Leaf first, as profile_of() gives them. */
static struct lt_out_frame fr_a[] = { NF("xmalloc", "/src/util.c", 12),
				      NF("parse_config", "/src/config.c", 40),
				      NF("main", "/src/main.c", 10) };
static struct lt_out_frame fr_b[] = { NF("xmalloc", "/src/util.c", 12),
				      NF("parse_config", "/src/config.c", 40),
				      NF("main", "/src/main.c", 11) };
static struct lt_out_frame fr_c[] = {
	{ .n = { .addr = 0x7f0012345678 } },
	{ .n = { .addr = 0x7f0011001a2b, .module = "/opt/lib/libplugin.so", .module_offset = 0x1a2b } },
	NF("main", "/src/main.c", 20),
};
static struct lt_out_frame fr_py[] = { NF("xmalloc", "/src/util.c", 12),
				       NF("_cffi_alloc", NULL, 0),
				       PF("Cache.load", "/srv/app/cache.py", 12),
				       PF("<module>", "/srv/app/app.py", 30) };
static struct lt_out_frame fr_semi[] = { NF("weird;name", NULL, 0), NF("main", "/src/main.c", 30) };
static struct lt_out_frame fr_colon[] = { NF("weird:name", NULL, 0),
					NF("main", "/src/main.c", 30) };
static struct lt_out_frame fr_xml[] = { NF("Tmpl<int, 'x'>::get \"q\" & co", NULL, 0),
					NF("main", "/src/main.c", 31) };

static struct lt_site s_a = { .bytes = 4096, .allocs = 4, .total_allocs = 9 };
static struct lt_site s_b = { .bytes = 1000, .allocs = 2, .total_allocs = 2 };
static struct lt_site s_c = { .bytes = 512, .allocs = 1, .total_allocs = 1 };
static struct lt_site s_py = { .bytes = 300, .allocs = 3, .total_allocs = 3 };
static struct lt_site s_semi = { .bytes = 64, .allocs = 1, .total_allocs = 1 };
static struct lt_site s_colon = { .bytes = 36, .allocs = 1, .total_allocs = 1 };
static struct lt_site s_xml = { .bytes = 200, .allocs = 2, .total_allocs = 2 };
static struct lt_site s_none = { .bytes = 128, .allocs = 1, .total_allocs = 1 };
static struct lt_site s_zero = { .bytes = 0, .allocs = 0, .total_allocs = 5 };

#define ST(s, fr) \
	{ .site = &s, .allocator = "malloc", .nframes = sizeof(fr) / sizeof(fr[0]), .frames = fr }

static struct lt_prof_stack stacks[] = {
	ST(s_a, fr_a), ST(s_b, fr_b), ST(s_c, fr_c), ST(s_py, fr_py), ST(s_xml, fr_xml),
	{ .site = &s_none, .allocator = "mmap", .nframes = 0, .frames = NULL },
	ST(s_semi, fr_semi), ST(s_colon, fr_colon), ST(s_zero, fr_a),
};

#define TOTAL_BYTES 6336

static const char folded_golden[] =
	"<module> (app.py:30);Cache.load (cache.py:12);_cffi_alloc;xmalloc 300\n"
	"[unknown] 128\n"
	"main;Tmpl<int, 'x'>::get \"q\" & co 200\n"
	"main;[libplugin.so+0x1a2b];0x7f0012345678 512\n"
	"main;parse_config;xmalloc 5096\n"
	"main;weird:name 100\n";

static struct lt_profile make_profile(struct lt_prof_stack *st, size_t n)
{
	struct lt_profile p = {
		.pid = 4242, .comm = "leaky<&>", .mode = "exact", .duration_s = 5,
		.stacks = st, .n = n,
	};
	return p;
}

enum kind { FOLDED, SVG, HTML, SPEEDSCOPE };

/* The exporter's output as a string (caller frees), NULL on error. */
static char *run(enum kind k, const struct lt_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return NULL;
	switch (k) {
	case FOLDED: err = export_folded(f, p); break;
	case SVG: err = export_flamegraph(f, p, false); break;
	case HTML: err = export_flamegraph(f, p, true); break;
	default: err = export_speedscope(f, p); break;
	}
	fclose(f);
	if (err) {
		printf("  export %d: %d\n", k, err);
		free(buf);
		return NULL;
	}
	return buf;
}

static const char *python3(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Writes s to a temporary file whose name goes to path. */
static int to_file(const char *s, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/lt-exports-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Runs python3 with an inline script and the file as argv[1]; returns its
 * stdout (caller frees), or NULL if it failed. */
static char *py_check(const char *script, const char *file)
{
	char spath[64], cmd[512], *out = NULL;
	size_t len = 0;
	FILE *o, *pp;
	int c, st;

	if (to_file(script, spath, sizeof(spath)))
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s %s %s", python3(), spath, file);
	pp = popen(cmd, "r");
	o = open_memstream(&out, &len);
	if (!pp || !o) {
		if (pp)
			pclose(pp);
		if (o)
			fclose(o);
		free(out);
		unlink(spath);
		return NULL;
	}
	while ((c = fgetc(pp)) != EOF)
		fputc(c, o);
	fclose(o);
	st = pclose(pp);
	unlink(spath);
	if (st != 0) {
		printf("  %s failed (%d): %s\n", cmd, st, out ? out : "");
		free(out);
		return NULL;
	}
	return out;
}

UT_TEST(export_folded_golden)
{
	struct lt_profile p = make_profile(stacks, sizeof(stacks) / sizeof(stacks[0]));
	char *out = run(FOLDED, &p);

	CHECK_EQ_STR(out, folded_golden);
	free(out);
}

UT_TEST(export_folded_order_independent)
{
	size_t n = sizeof(stacks) / sizeof(stacks[0]);
	struct lt_prof_stack rev[sizeof(stacks) / sizeof(stacks[0])];
	struct lt_profile p;
	char *out;

	for (size_t i = 0; i < n; i++)
		rev[i] = stacks[n - 1 - i];
	p = make_profile(rev, n);
	out = run(FOLDED, &p);
	CHECK_EQ_STR(out, folded_golden);
	free(out);
}

UT_TEST(export_folded_escaping)
{
	struct lt_out_frame fr[] = { NF("a;b\nc\x01\xff\xc3\xa9 d", NULL, 0),
				     PF("f;g", "/x;y/m;n.py", 3), PF(NULL, NULL, 0),
				     PF("h", "/p/q.py", 0) };
	struct lt_site s = { .bytes = 7, .allocs = 1 };
	struct lt_prof_stack st = ST(s, fr);
	struct lt_profile p = make_profile(&st, 1);
	char *out = run(FOLDED, &p), *c;

	/* root first; ';' -> ':', control and invalid bytes -> '?', UTF-8 kept */
	CHECK_EQ_STR(out, "h (q.py);[unknown];f:g (m:n.py:3);a:b?c??\xc3\xa9 d 7\n");
	free(out);
	c = exp_clean("x;\x7f\xe2\x82", false);
	CHECK_EQ_STR(c, "x;???");
	free(c);
	CHECK_EQ_INT(exp_utf8_len("\xc3\xa9t\xc3\xa9"), 3);
}

UT_TEST(export_folded_merge_model)
{
	struct lt_profile p = make_profile(stacks, sizeof(stacks) / sizeof(stacks[0]));
	struct exp_folded fs;
	int main_ix = -1, x_ix = -1;

	CHECK_EQ_INT(exp_folded_build(&p, &fs), 0);
	CHECK_EQ_INT(fs.nstacks, 6);
	CHECK_EQ_INT(fs.bytes, TOTAL_BYTES);
	CHECK_EQ_INT(fs.allocs, 4 + 2 + 1 + 3 + 1 + 1 + 2 + 1);
	for (size_t i = 0; i < fs.nframes; i++) {
		if (!strcmp(fs.frames[i].name, "main"))
			main_ix = i;
		if (!strcmp(fs.frames[i].name, "xmalloc"))
			x_ix = i;
	}
	CHECK(main_ix >= 0 && x_ix >= 0);
	if (main_ix < 0 || x_ix < 0)
		goto out;
	/* main is called from several lines: no line; xmalloc always :12 */
	CHECK_EQ_STR(fs.frames[main_ix].file, "/src/main.c");
	CHECK_EQ_INT(fs.frames[main_ix].line, 0);
	CHECK_EQ_INT(fs.frames[x_ix].line, 12);
	/* the merged main;parse_config;xmalloc stack */
	CHECK_EQ_INT(fs.stacks[4].bytes, 5096);
	CHECK_EQ_INT(fs.stacks[4].allocs, 6);
	CHECK_EQ_INT(fs.stacks[4].line[0], -1);
	CHECK_EQ_INT(fs.stacks[4].line[2], 12);
out:
	exp_folded_free(&fs);
}

/* Parses the SVG/HTML with ElementTree and prints, per frame element:
 * class, name (the tooltip's first line). */
static const char svg_script[] =
	"import sys, xml.etree.ElementTree as E\n"
	"t = E.parse(sys.argv[1])\n"
	"ns = '{http://www.w3.org/2000/svg}'\n"
	"fr = t.getroot().find('.//' + ns + 'g[@id=\"lt-frames\"]')\n"
	"assert fr is not None\n"
	"assert t.getroot().find('.//' + ns + 'script') is not None\n"
	"for g in fr.findall(ns + 'g'):\n"
	"    assert g.find(ns + 'rect') is not None and g.find(ns + 'text') is not None\n"
	"    print(g.get('class') + '|' + g.find(ns + 'title').text.split('\\n')[0])\n";

static void check_svg(enum kind k)
{
	struct lt_profile p = make_profile(stacks, sizeof(stacks) / sizeof(stacks[0]));
	char *out = run(k, &p), *again = run(k, &p), *got = NULL, path[64];

	CHECK(out != NULL);
	if (!out)
		goto out;
	CHECK_EQ_STR(again, out); /* deterministic */
	CHECK(to_file(out, path, sizeof(path)) == 0);
	got = py_check(svg_script, path);
	unlink(path);
	CHECK(got != NULL);
	if (!got)
		goto out;
	CHECK(strstr(got, "f fr-root|all\n"));
	CHECK(strstr(got, "f fr-python|<module> (app.py:30)\n"));
	CHECK(strstr(got, "f fr-python|Cache.load (cache.py:12)\n"));
	CHECK(strstr(got, "f fr-native|main\n"));
	CHECK(strstr(got, "f fr-native|parse_config\n"));
	CHECK(strstr(got, "f fr-native|xmalloc\n"));
	CHECK(strstr(got, "f fr-native|_cffi_alloc\n"));
	CHECK(strstr(got, "f fr-native|[libplugin.so+0x1a2b]\n"));
	CHECK(strstr(got, "f fr-native|0x7f0012345678\n"));
	CHECK(strstr(got, "f fr-native|weird:name\n"));
	CHECK(strstr(got, "f fr-native|[unknown]\n"));
	CHECK(strstr(got, "f fr-native|Tmpl<int, 'x'>::get \"q\" & co\n"));
	/* xmalloc twice (under parse_config and _cffi_alloc), main once */
	CHECK(strstr(strstr(got, "|xmalloc\n") + 1, "|xmalloc\n"));
	CHECK(!strstr(strstr(got, "|main\n") + 1, "|main\n"));
	/* the raw text: escaped, tooltips with bytes, allocations and lines */
	CHECK(strstr(out, "Tmpl&lt;int, &apos;x&apos;&gt;::get &quot;q&quot; &amp; co"));
	CHECK(strstr(out, "leaky&lt;&amp;&gt;"));
	CHECK(strstr(out, "<title>parse_config&#10;5096 bytes (5.0 KiB), 80.43%, "
			  "6 allocations&#10;native: /src/config.c:40</title>"));
	CHECK(strstr(out, "<title>main&#10;5908 bytes (5.8 KiB), 93.24%, 11 allocations"
			  "&#10;native: /src/main.c (several lines)</title>"));
	CHECK(strstr(out, "<title>all&#10;6336 bytes (6.2 KiB), 100.00%, 15 allocations in 6 "
			  "stacks</title>"));
	CHECK(strstr(out, "data-o=\"0\" data-v=\"6336\" data-d=\"0\""));
	CHECK(strstr(out, "TOTAL = 6336;"));
out:
	free(got);
	free(again);
	free(out);
}

UT_TEST(export_flamegraph_svg)
{
	check_svg(SVG);
}

UT_TEST(export_flamegraph_html)
{
	struct lt_profile p = make_profile(stacks, sizeof(stacks) / sizeof(stacks[0]));
	char *svg = run(SVG, &p), *html = run(HTML, &p);

	check_svg(HTML);
	CHECK(svg && html);
	if (svg && html) {
		CHECK(!strncmp(html, "<!DOCTYPE html>", 15));
		/* the same SVG inside */
		CHECK(strstr(svg, "<svg ") && strstr(html, strstr(svg, "<svg ")));
	}
	free(svg);
	free(html);
}

/* Validates the speedscope file's shape and prints its samples as folded
 * lines (frame names root first, then the weight). */
static const char ss_script[] =
	"import sys, json\n"
	"d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
	"assert d['$schema'] == 'https://www.speedscope.app/file-format-schema.json'\n"
	"fr = d['shared']['frames']\n"
	"assert all(isinstance(f['name'], str) for f in fr)\n"
	"assert len(d['profiles']) == 1 and d['activeProfileIndex'] == 0\n"
	"p = d['profiles'][0]\n"
	"assert p['type'] == 'sampled' and p['unit'] == 'bytes' and p['startValue'] == 0\n"
	"assert '4242' in p['name'] and 'leaky<&>' in p['name']\n"
	"assert len(p['samples']) == len(p['weights'])\n"
	"assert sum(p['weights']) == p['endValue'], (sum(p['weights']), p['endValue'])\n"
	"print('total', p['endValue'])\n"
	"for s, w in zip(p['samples'], p['weights']):\n"
	"    print(';'.join(fr[i]['name'] for i in s), w)\n"
	"for f in fr:\n"
	"    print('frame', f['name'], f.get('file'), f.get('line'))\n";

UT_TEST(export_speedscope_json)
{
	struct lt_profile p = make_profile(stacks, sizeof(stacks) / sizeof(stacks[0]));
	char *out = run(SPEEDSCOPE, &p), *got = NULL, path[64], cmd[256], want[1024];

	CHECK(out != NULL);
	if (!out)
		return;
	CHECK(to_file(out, path, sizeof(path)) == 0);
	snprintf(cmd, sizeof(cmd), "%s -m json.tool %s >/dev/null", python3(), path);
	CHECK_EQ_INT(system(cmd), 0);
	got = py_check(ss_script, path);
	unlink(path);
	CHECK(got != NULL);
	if (got) {
		snprintf(want, sizeof(want), "total %d\n%s", TOTAL_BYTES, folded_golden);
		CHECK(!strncmp(got, want, strlen(want)));
		CHECK(strstr(got, "frame xmalloc /src/util.c 12\n"));
		CHECK(strstr(got, "frame main /src/main.c None\n"));
		CHECK(strstr(got, "frame Cache.load (cache.py:12) /srv/app/cache.py 12\n"));
		CHECK(strstr(got, "frame [libplugin.so+0x1a2b] /opt/lib/libplugin.so None\n"));
		CHECK(strstr(got, "frame 0x7f0012345678 None None\n"));
	}
	free(got);
	free(out);
}

UT_TEST(export_empty_profile)
{
	struct lt_profile p = make_profile(&stacks[8], 1); /* one site, 0 bytes */
	char *fo = run(FOLDED, &p), *svg = run(SVG, &p), *ss = run(SPEEDSCOPE, &p);
	char path[64], *got = NULL;

	CHECK_EQ_STR(fo, "");
	CHECK(svg && strstr(svg, "TOTAL = 0;"));
	if (svg && to_file(svg, path, sizeof(path)) == 0) {
		got = py_check(svg_script, path);
		CHECK_EQ_STR(got, "f fr-root|all\n");
		unlink(path);
	}
	CHECK(ss && strstr(ss, "\"samples\":[],\"weights\":[]"));
	free(got);
	free(fo);
	free(svg);
	free(ss);
}
