// SPDX-License-Identifier: MIT
/* --rss's section, printed from the model: no map or page read here. */
#include <inttypes.h>
#include "frames.h"
#include "json.h"
#include "rss.h"
#include "rss_report.h"
#include "util.h"

void rss_report_text(FILE *f, const struct lt_model_rss *r, const struct report_info *ri)
{
	size_t shown = 0, nres;
	char b1[32], b2[32], b3[32], b4[32];

	if (!r)
		return;
	nres = r->nstacks; /* the resident ones */
	fprintf(f, "What drives RSS growth (pages first written, by stack; released ones charged "
		   "back; not leak suspects):\n");
	fprintf(f, "resident %s in %" PRId64 " pages from %zu stack%s, %s%s since the last report; "
		   "faulted %s, released %s\n",
		lt_human_bytes(r->resident, b1, sizeof(b1)), r->pages, nres, nres == 1 ? "" : "s",
		r->growth >= 0 ? "+" : "", lt_human_bytes(r->growth, b2, sizeof(b2)),
		lt_human_bytes(r->faulted, b3, sizeof(b3)),
		lt_human_bytes(r->faulted - r->resident, b4, sizeof(b4)));
	if (r->counters[LT_RSS_PAGES_FULL] || r->counters[LT_RSS_AGG_FULL] ||
	    r->counters[LT_RSS_VMA_BUSY])
		fprintf(f, "(pages not remembered %" PRIu64 ", stacks map full %" PRIu64
			   ", VMA not found %" PRIu64 ")\n",
			r->counters[LT_RSS_PAGES_FULL], r->counters[LT_RSS_AGG_FULL],
			r->counters[LT_RSS_VMA_BUSY]);
	for (size_t i = 0; i < r->nstacks && shown < (size_t)ri->top; i++) {
		const struct lt_model_rss_stack *s = &r->stacks[i];
		int64_t g = s->growth;

		fprintf(f, "#%zu  %s in %" PRId64 " pages, %s%s%s\n", ++shown,
			lt_human_bytes(s->bytes, b1, sizeof(b1)), s->pages,
			g >= 0 ? "+" : "", lt_human_bytes(g, b2, sizeof(b2)),
			s->kernel ? " (written by the kernel)" : "");
		if (s->stack_lost)
			fprintf(f, "        (stack lost)\n");
		frames_text(f, s->frames, s->nframes);
	}
	if (!r->have_pages)
		return;
	fprintf(f, "Allocated but never touched: %s in whole pages of %" PRId64
		   " outstanding allocation%s of %d KiB or more (%s); anonymous writable mappings: "
		   "%s mapped, %s resident\n",
		lt_human_bytes(r->ut_untouched, b1, sizeof(b1)), r->ut_allocs,
		r->ut_allocs == 1 ? "" : "s", LT_RSS_BIG_MIN / 1024,
		lt_human_bytes(r->ut_bytes, b2, sizeof(b2)),
		lt_human_bytes(r->anon_size, b3, sizeof(b3)),
		lt_human_bytes(r->anon_rss, b4, sizeof(b4)));
	for (size_t i = 0; i < r->nut && i < (size_t)ri->top; i++) {
		const struct lt_model_untouched *u = &r->ut[i];

		fprintf(f, "#%zu  %s untouched of %s in %" PRId64 " allocation%s (%s)\n", i + 1,
			lt_human_bytes(u->untouched, b1, sizeof(b1)),
			lt_human_bytes(u->bytes, b2, sizeof(b2)), u->allocs,
			u->allocs == 1 ? "" : "s", u->allocator);
		frames_text(f, u->frames, u->nframes);
	}
	fflush(f);
}

void rss_report_json(struct json *j, const struct lt_model_rss *r)
{
	static const char *const cnt[LT_RSS_CNT_MAX] = {
		[LT_RSS_WRITE_FAULTS] = "write_faults", [LT_RSS_CHARGED] = "charged",
		[LT_RSS_RELEASED] = "released", [LT_RSS_PAGES_FULL] = "pages_map_full",
		[LT_RSS_AGG_FULL] = "stacks_map_full", [LT_RSS_VMA_BUSY] = "vma_not_found",
		[LT_RSS_BIG_FULL] = "big_map_full",
	};

	if (!r)
		return;
	json_key(j, "rss");
	json_obj_begin(j);
	json_int_field(j, "resident_bytes", r->resident);
	json_int_field(j, "resident_pages", r->pages);
	json_int_field(j, "growth_bytes", r->growth);
	json_uint_field(j, "faulted_bytes", r->faulted);
	json_int_field(j, "released_bytes", (int64_t)r->faulted - r->resident);
	json_key(j, "counters");
	json_obj_begin(j);
	for (int i = 0; i < LT_RSS_CNT_MAX; i++)
		json_uint_field(j, cnt[i], r->counters[i]);
	json_obj_end(j);
	json_key(j, "stacks");
	json_arr_begin(j);
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct lt_model_rss_stack *s = &r->stacks[i];

		json_obj_begin(j);
		json_int_field(j, "bytes", s->bytes);
		json_int_field(j, "pages", s->pages);
		json_int_field(j, "growth_bytes", s->growth);
		json_uint_field(j, "faulted_bytes", s->faulted);
		json_uint_field(j, "faults", s->faults);
		json_bool_field(j, "kernel", s->kernel);
		frames_json(j, s->frames, s->nframes);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (r->have_pages) {
		json_key(j, "untouched");
		json_obj_begin(j);
		json_uint_field(j, "bytes", r->ut_untouched);
		json_uint_field(j, "allocated_bytes", r->ut_bytes);
		json_int_field(j, "allocs", r->ut_allocs);
		json_int_field(j, "min_alloc_bytes", LT_RSS_BIG_MIN);
		json_uint_field(j, "anon_writable_bytes", r->anon_size);
		json_uint_field(j, "anon_writable_rss_bytes", r->anon_rss);
		json_key(j, "stacks");
		json_arr_begin(j);
		for (size_t i = 0; i < r->nut; i++) {
			const struct lt_model_untouched *u = &r->ut[i];

			json_obj_begin(j);
			json_uint_field(j, "bytes", u->untouched);
			json_uint_field(j, "allocated_bytes", u->bytes);
			json_int_field(j, "allocs", u->allocs);
			json_str_field(j, "allocator", u->allocator);
			frames_json(j, u->frames, u->nframes);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_obj_end(j);
}
