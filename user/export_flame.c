// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export_flame.h"
#include "export_folded.h"

/* Geometry, shared with the script (printed into it). */
#define FG_WIDTH 1200
#define FG_PAD 10	/* left and right margin */
#define FG_TOP 56	/* title, subtitle and controls above the frames */
#define FG_BOTTOM 28	/* status line below them */
#define FG_FH 16	/* frame pitch; rects are one pixel less */
#define FG_CW 7.25	/* width of a 12px monospace character, rounded up */
#define FG_MINW 0.1	/* frames narrower than this (px) are left out */
#define FG_ROOT UINT32_MAX

struct node {
	int64_t off, bytes, allocs;
	uint32_t frame;		/* index in exp_folded.frames, FG_ROOT for "all" */
	int line;		/* 0 unknown, -1 differing */
	int depth;
	uint32_t first, last, next; /* children; 0 is none (the root is no child) */
};

struct tree {
	struct node *n;
	size_t len, cap;
};

static int64_t tree_add(struct tree *t, uint32_t parent, uint32_t frame, int line)
{
	struct node *c;

	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct node *a = realloc(t->n, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		t->n = a;
		t->cap = cap;
	}
	c = &t->n[t->len];
	memset(c, 0, sizeof(*c));
	c->frame = frame;
	c->line = line;
	if (t->len) {
		struct node *p = &t->n[parent];

		c->depth = p->depth + 1;
		if (p->last)
			t->n[p->last].next = t->len;
		else
			p->first = t->len;
		p->last = t->len;
	}
	return t->len++;
}

/* Stacks arrive sorted, so a stack shares a prefix with the previous one
 * only: the child to reuse, if any, is always the last one added. */
static int tree_build(struct tree *t, const struct exp_folded *fs)
{
	if (tree_add(t, 0, FG_ROOT, 0) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < fs->nstacks; i++) {
		const struct exp_stack *st = &fs->stacks[i];
		uint32_t cur = 0;

		t->n[0].bytes += st->bytes;
		t->n[0].allocs += st->allocs;
		for (int j = 0; j < st->n; j++) {
			uint32_t c = t->n[cur].last;

			if (c && t->n[c].frame == st->fr[j]) {
				if (t->n[c].line != st->line[j])
					t->n[c].line = -1;
			} else {
				int64_t ix = tree_add(t, cur, st->fr[j], st->line[j]);

				if (ix < 0)
					return ix;
				c = ix;
			}
			t->n[c].bytes += st->bytes;
			t->n[c].allocs += st->allocs;
			cur = c;
		}
	}
	/* parents precede their children, so one pass places everything */
	for (size_t i = 0; i < t->len; i++) {
		int64_t o = t->n[i].off;

		for (uint32_t c = t->n[i].first; c; c = t->n[c].next) {
			t->n[c].off = o;
			o += t->n[c].bytes;
		}
	}
	return 0;
}

/* Text for XML character data and attribute values. */
static void xml_put(FILE *f, const char *s)
{
	char *c = exp_clean(s, false);

	for (const char *p = c ? c : "?"; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*p, f);
		}
	}
	free(c);
}

/* The label that fits in w pixels: all of it, its first characters and
 * "..", or nothing when fewer than 3 characters fit (the script's fit()). */
static void put_label(FILE *f, const char *name, double w)
{
	long max = w > 6 ? (long)((w - 6) / FG_CW) : 0; /* no libm */
	size_t len = exp_utf8_len(name);
	char *cut;
	const char *p;
	long k = 0;

	if (max < 3)
		return;
	if ((long)len <= max) {
		xml_put(f, name);
		return;
	}
	for (p = name; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && k++ == max - 2)
			break;
	}
	cut = strndup(name, p - name);
	xml_put(f, cut ? cut : "");
	fputs("..", f);
	free(cut);
}

static double hue2rgb(double p, double q, double t)
{
	if (t < 0)
		t += 1;
	if (t > 1)
		t -= 1;
	if (t < 1.0 / 6)
		return p + (q - p) * 6 * t;
	if (t < 0.5)
		return q;
	if (t < 2.0 / 3)
		return p + (q - p) * (2.0 / 3 - t) * 6;
	return p;
}

/* A colour from the name's hash: warm hues for native code, greens and
 * teals for Python, so the two read apart at a glance. */
static void put_color(FILE *f, const char *name, bool python)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	double hue, sat, lig, q, p;

	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	if (python) {
		hue = (100 + h % 70) / 360.0;
		sat = (40 + (h >> 8) % 25) / 100.0;
		lig = (48 + (h >> 16) % 14) / 100.0;
	} else {
		hue = (h % 48) / 360.0;
		sat = (78 + (h >> 8) % 18) / 100.0;
		lig = (52 + (h >> 16) % 12) / 100.0;
	}
	q = lig < 0.5 ? lig * (1 + sat) : lig + sat - lig * sat;
	p = 2 * lig - q;
	fprintf(f, "#%02x%02x%02x", (int)(255 * hue2rgb(p, q, hue + 1.0 / 3) + 0.5),
		(int)(255 * hue2rgb(p, q, hue) + 0.5), (int)(255 * hue2rgb(p, q, hue - 1.0 / 3) + 0.5));
}

static const char fg_style[] =
	"text{font-family:monospace;font-size:12px;fill:#000}\n"
	".title{font-size:17px;font-weight:bold}\n"
	".sub{fill:#555}\n"
	".f{cursor:pointer}\n"
	".f:hover rect{stroke:#000;stroke-width:.8}\n"
	".f text{pointer-events:none}\n"
	".hl rect{fill:#e83ee8}\n"
	".anc{opacity:.55}\n"
	".ctl{cursor:pointer;fill:#1a5fb4;text-decoration:underline}\n"
	".hidden{display:none}\n";

/* Written for leaktrace; geometry constants are printed in front of it. */
static const char fg_script[] =
	"var frames = document.getElementById(\"lt-frames\");\n"
	"var status = document.getElementById(\"lt-status\");\n"
	"var matched = document.getElementById(\"lt-matched\");\n"
	"var unzoom = document.getElementById(\"lt-unzoom\");\n"
	"var finder = document.getElementById(\"lt-search\");\n"
	"var help = status.textContent, all = [], root = null, query = \"\";\n"
	"var gs = frames.getElementsByTagName(\"g\");\n"
	"for (var i = 0; i < gs.length; i++) {\n"
	"  var g = gs[i], tip = g.getElementsByTagName(\"title\")[0].textContent;\n"
	"  var f = { g: g, o: +g.getAttribute(\"data-o\"), v: +g.getAttribute(\"data-v\"),\n"
	"    d: +g.getAttribute(\"data-d\"), r: g.getElementsByTagName(\"rect\")[0],\n"
	"    t: g.getElementsByTagName(\"text\")[0], name: tip.split(\"\\n\")[0],\n"
	"    tip: tip.replace(/\\n/g, \"  |  \") };\n"
	"  g.ltFrame = f;\n"
	"  all.push(f);\n"
	"  if (f.d === 0) root = f;\n"
	"}\n"
	"function human(b) {\n"
	"  var u = [\"B\", \"KiB\", \"MiB\", \"GiB\", \"TiB\"], k = 0;\n"
	"  while (Math.abs(b) >= 1024 && k < 4) { b /= 1024; k++; }\n"
	"  return k ? b.toFixed(1) + \" \" + u[k] : b + \" B\";\n"
	"}\n"
	"function pct(b) { return TOTAL > 0 ? (100 * b / TOTAL).toFixed(2) + \"%\" : \"0%\"; }\n"
	"function fit(s, w) {\n"
	"  var n = Math.floor((w - 6) / CW);\n"
	"  if (n < 3) return \"\";\n"
	"  return s.length <= n ? s : s.slice(0, n - 2) + \"..\";\n"
	"}\n"
	"function place(f, x, w) {\n"
	"  f.r.setAttribute(\"x\", x.toFixed(1));\n"
	"  f.r.setAttribute(\"width\", w.toFixed(2));\n"
	"  f.t.setAttribute(\"x\", (x + 3).toFixed(1));\n"
	"  f.t.textContent = fit(f.name, w);\n"
	"}\n"
	"function show(f, on) { f.g.classList.toggle(\"hidden\", !on); }\n"
	"function zoom(z) {\n"
	"  all.forEach(function (f) {\n"
	"    if (f.d >= z.d && f.o >= z.o && f.o + f.v <= z.o + z.v) {\n"
	"      var w = z.v > 0 ? f.v / z.v * W : W;\n"
	"      f.g.classList.remove(\"anc\");\n"
	"      show(f, w >= MINW);\n"
	"      place(f, X0 + (z.v > 0 ? (f.o - z.o) / z.v * W : 0), w);\n"
	"    } else if (f.d < z.d && f.o <= z.o && f.o + f.v >= z.o + z.v) {\n"
	"      f.g.classList.add(\"anc\");\n"
	"      show(f, true);\n"
	"      place(f, X0, W);\n"
	"    } else {\n"
	"      show(f, false);\n"
	"    }\n"
	"  });\n"
	"  unzoom.classList.toggle(\"hidden\", z.d === 0);\n"
	"}\n"
	"function search(q) {\n"
	"  var re = null, hits = [], sum = 0, end = -1;\n"
	"  query = q || \"\";\n"
	"  if (query) {\n"
	"    try { re = new RegExp(query); }\n"
	"    catch (e) { re = new RegExp(query.replace(/[.*+?^${}()|[\\]\\\\]/g, \"\\\\$&\")); }\n"
	"  }\n"
	"  all.forEach(function (f) {\n"
	"    var m = re !== null && f.d > 0 && re.test(f.name);\n"
	"    f.g.classList.toggle(\"hl\", m);\n"
	"    if (m) hits.push(f);\n"
	"  });\n"
	"  /* frames nest or are disjoint: count the outermost of each nest */\n"
	"  hits.sort(function (a, b) { return a.o - b.o || b.v - a.v; });\n"
	"  hits.forEach(function (f) { if (f.o >= end) { sum += f.v; end = f.o + f.v; } });\n"
	"  matched.textContent = re ? \"Matched: \" + pct(sum) + \" (\" + human(sum) + \")\" : \"\";\n"
	"  finder.textContent = re ? \"Clear search\" : \"Search\";\n"
	"}\n"
	"function ask() {\n"
	"  var q = window.prompt(\"Highlight frames matching (regular expression):\", query);\n"
	"  if (q !== null) search(q);\n"
	"}\n"
	"function frameOf(e) {\n"
	"  for (var n = e.target; n && n !== frames; n = n.parentNode)\n"
	"    if (n.ltFrame) return n.ltFrame;\n"
	"  return null;\n"
	"}\n"
	"frames.addEventListener(\"click\", function (e) { var f = frameOf(e); if (f) zoom(f); });\n"
	"frames.addEventListener(\"mouseover\", function (e) {\n"
	"  var f = frameOf(e);\n"
	"  status.textContent = f ? f.tip : help;\n"
	"});\n"
	"frames.addEventListener(\"mouseout\", function () { status.textContent = help; });\n"
	"unzoom.addEventListener(\"click\", function () { zoom(root); });\n"
	"finder.addEventListener(\"click\", function () { if (query) search(\"\"); else ask(); });\n"
	"document.addEventListener(\"keydown\", function (e) {\n"
	"  if (((e.ctrlKey || e.metaKey) && e.key === \"f\") || e.key === \"/\") {\n"
	"    e.preventDefault();\n"
	"    ask();\n"
	"  } else if (e.key === \"Escape\") {\n"
	"    zoom(root);\n"
	"    search(\"\");\n"
	"  }\n"
	"});\n";

static void put_tooltip(FILE *f, const struct exp_folded *fs, const struct node *n, int64_t total)
{
	const struct exp_frame *fr = n->frame == FG_ROOT ? NULL : &fs->frames[n->frame];
	char hb[32];

	xml_put(f, fr ? fr->name : "all");
	fprintf(f, "&#10;%" PRId64 " byte%s (%s), %.2f%%, %" PRId64 " allocation%s", n->bytes,
		n->bytes == 1 ? "" : "s", exp_human_bytes(n->bytes, hb, sizeof(hb)),
		total > 0 ? 100.0 * n->bytes / total : 0.0, n->allocs, n->allocs == 1 ? "" : "s");
	if (!fr) {
		fprintf(f, " in %zu stack%s", fs->nstacks, fs->nstacks == 1 ? "" : "s");
		return;
	}
	fputs(fr->python ? "&#10;python" : "&#10;native", f);
	if (!fr->file)
		return;
	fputs(": ", f);
	xml_put(f, fr->file);
	if (n->line > 0)
		fprintf(f, ":%d", n->line);
	else if (n->line < 0)
		fputs(" (several lines)", f);
}

static void put_frame(FILE *f, const struct exp_folded *fs, const struct node *n, int64_t total,
		      int maxdepth)
{
	const struct exp_frame *fr = n->frame == FG_ROOT ? NULL : &fs->frames[n->frame];
	const double w = FG_WIDTH - 2 * FG_PAD;
	double x = FG_PAD + (total > 0 ? (double)n->off / total * w : 0);
	double width = total > 0 ? (double)n->bytes / total * w : w;
	int y = FG_TOP + (maxdepth - n->depth) * FG_FH;

	fprintf(f, "<g class=\"f %s\" data-o=\"%" PRId64 "\" data-v=\"%" PRId64 "\" data-d=\"%d\">",
		!fr ? "fr-root" : fr->python ? "fr-python" : "fr-native", n->off, n->bytes,
		n->depth);
	fputs("<title>", f);
	put_tooltip(f, fs, n, total);
	fprintf(f, "</title><rect x=\"%.1f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"",
		x, y, width, FG_FH - 1);
	if (fr)
		put_color(f, fr->name, fr->python);
	else
		fputs("#c8c8cc", f);
	fprintf(f, "\"/><text x=\"%.1f\" y=\"%d\">", x + 3, y + FG_FH - 4);
	put_label(f, fr ? fr->name : "all", width);
	fputs("</text></g>\n", f);
}

static void put_svg(FILE *f, const struct lt_profile *p, const struct exp_folded *fs,
		    const struct tree *t)
{
	const int64_t total = t->n[0].bytes;
	const double w = FG_WIDTH - 2 * FG_PAD;
	int maxdepth = 0, height;
	char hb[32];

	for (size_t i = 0; i < t->len; i++)
		if (t->n[i].depth > maxdepth && (total <= 0 || t->n[i].bytes * w / total >= FG_MINW))
			maxdepth = t->n[i].depth;
	height = FG_TOP + (maxdepth + 1) * FG_FH + FG_BOTTOM;

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" id=\"lt-fg\" "
		   "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		FG_WIDTH, height, FG_WIDTH, height);
	fprintf(f, "<style><![CDATA[\n%s]]></style>\n", fg_style);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f4\"/>\n",
		FG_WIDTH, height);
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"22\" text-anchor=\"middle\">"
		   "Outstanding memory: ", FG_WIDTH / 2);
	xml_put(f, p->comm && p->comm[0] ? p->comm : "?");
	fprintf(f, " (pid %d)</text>\n", p->pid);
	fprintf(f, "<text class=\"sub\" x=\"%d\" y=\"42\" text-anchor=\"middle\">%s in %" PRId64
		   " allocation%s, %zu stack%s",
		FG_WIDTH / 2, exp_human_bytes(total, hb, sizeof(hb)), t->n[0].allocs,
		t->n[0].allocs == 1 ? "" : "s", fs->nstacks, fs->nstacks == 1 ? "" : "s");
	if (p->duration_s > 0)
		fprintf(f, ", traced %.1f s", p->duration_s);
	if (p->mode && p->mode[0]) {
		fputs(" (", f);
		xml_put(f, p->mode);
		fputc(')', f);
	}
	fputs("</text>\n", f);
	fprintf(f, "<text id=\"lt-unzoom\" class=\"ctl hidden\" x=\"%d\" y=\"22\">Reset zoom</text>\n",
		FG_PAD);
	fprintf(f, "<text id=\"lt-search\" class=\"ctl\" x=\"%d\" y=\"22\" text-anchor=\"end\">"
		   "Search</text>\n", FG_WIDTH - FG_PAD);
	/* legend */
	fprintf(f, "<rect x=\"%d\" y=\"32\" width=\"10\" height=\"10\" fill=\"#f0703c\"/>"
		   "<text x=\"%d\" y=\"41\">native</text>\n", FG_PAD, FG_PAD + 14);
	fprintf(f, "<rect x=\"%d\" y=\"32\" width=\"10\" height=\"10\" fill=\"#4fae7a\"/>"
		   "<text x=\"%d\" y=\"41\">python</text>\n", FG_PAD + 80, FG_PAD + 94);

	fputs("<g id=\"lt-frames\">\n", f);
	for (size_t i = 0; i < t->len; i++)
		if (i == 0 || total <= 0 || t->n[i].bytes * w / total >= FG_MINW)
			put_frame(f, fs, &t->n[i], total, maxdepth);
	fputs("</g>\n", f);

	fprintf(f, "<text id=\"lt-status\" x=\"%d\" y=\"%d\">Hover for details, click to zoom, "
		   "Ctrl-F to search, Esc to reset</text>\n", FG_PAD, height - 10);
	fprintf(f, "<text id=\"lt-matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n",
		FG_WIDTH - FG_PAD, height - 10);
	fprintf(f, "<script><![CDATA[\n(function () {\n\"use strict\";\n"
		   "var W = %d, X0 = %d, CW = %g, MINW = %g, TOTAL = %" PRId64 ";\n%s})();\n"
		   "]]></script>\n",
		FG_WIDTH - 2 * FG_PAD, FG_PAD, FG_CW, FG_MINW, total, fg_script);
	fputs("</svg>\n", f);
}

int export_flamegraph(FILE *f, const struct lt_profile *p, bool html)
{
	struct exp_folded fs;
	struct tree t = { 0 };
	int err;

	err = exp_folded_build(p, &fs);
	if (err)
		return err;
	err = tree_build(&t, &fs);
	if (err)
		goto cleanup;
	if (html) {
		/* also well-formed XML, so one parser checks both forms */
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
		      "<title>leaktrace: ", f);
		xml_put(f, p->comm && p->comm[0] ? p->comm : "?");
		fprintf(f, " (pid %d)</title>\n<style>body{margin:8px;background:#fff}</style>\n"
			   "</head>\n<body>\n", p->pid);
	} else {
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	}
	put_svg(f, p, &fs, &t);
	if (html)
		fputs("</body>\n</html>\n", f);
	if (fflush(f) || ferror(f))
		err = -EIO;
cleanup:
	free(t.n);
	exp_folded_free(&fs);
	return err;
}
