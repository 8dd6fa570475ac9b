// SPDX-License-Identifier: MIT
/* Frames as every report prints them: one line each in text, one object
 * each in JSON (schema in README.md). */
#include <inttypes.h>
#include <string.h>
#include "frames.h"
#include "json.h"
#include "model.h"

static void print_frame(FILE *f, const struct lt_out_frame *of)
{
	const struct lt_frame *fr = &of->n;

	if (of->python) {
		const char *file = of->p.file ? strrchr(of->p.file, '/') : NULL;

		fprintf(f, "        %s (python)", of->p.function);
		if (of->p.file)
			fprintf(f, " %s:%d", file ? file + 1 : of->p.file, of->p.line);
		fputc('\n', f);
		return;
	}
	const char *mod = fr->module ? strrchr(fr->module, '/') : NULL;

	mod = mod ? mod + 1 : fr->module;
	if (fr->function && fr->inlined)
		fprintf(f, "        %s (inlined)", fr->function);
	else if (fr->function)
		fprintf(f, "        %s+0x%" PRIx64, fr->function, fr->offset);
	else
		fprintf(f, "        0x%" PRIx64, fr->addr);
	if (mod)
		fprintf(f, " (%s)", mod);
	if (fr->file && fr->line) {
		const char *file = strrchr(fr->file, '/');

		fprintf(f, " %s:%d", file ? file + 1 : fr->file, fr->line);
	}
	fputc('\n', f);
}

void frames_text(FILE *f, const struct lt_out_frame *fr, int n)
{
	for (int i = 0; i < n; i++)
		print_frame(f, &fr[i]);
}

static void json_frame(struct json *j, const struct lt_out_frame *of)
{
	const struct lt_frame *fr = &of->n;
	char addr[32];

	json_obj_begin(j);
	if (of->python) {
		json_key(j, "kind");
		json_str(j, "python");
		json_key(j, "function");
		json_str(j, of->p.function);
		if (of->p.file) {
			json_key(j, "file");
			json_str(j, of->p.file);
		}
		if (of->p.line) {
			json_key(j, "line");
			json_int(j, of->p.line);
		}
		json_obj_end(j);
		return;
	}
	json_key(j, "kind");
	json_str(j, "native");
	if (fr->function) {
		json_key(j, "function");
		json_str(j, fr->function);
	}
	if (fr->linkage_name && fr->function && strcmp(fr->linkage_name, fr->function)) {
		/* the mangled symbol it demangles */
		json_str_field(j, "linkage_name", fr->linkage_name);
	}
	if (fr->module) {
		json_key(j, "module");
		json_str(j, fr->module);
	}
	if (fr->inlined) { /* inside the next frame's function, at its address */
		json_bool_field(j, "inlined", true);
	} else if (fr->function) {
		json_key(j, "offset");
		json_uint(j, fr->offset);
	}
	if (fr->file && fr->line) {
		json_key(j, "file");
		json_str(j, fr->file);
		json_key(j, "line");
		json_int(j, fr->line);
	}
	snprintf(addr, sizeof(addr), "0x%" PRIx64, fr->addr);
	json_key(j, "address");
	json_str(j, addr);
	if (fr->build_id && fr->build_id[0]) {
		json_key(j, "build_id");
		json_str(j, fr->build_id);
	}
	json_obj_end(j);
}

void frames_json(struct json *j, const struct lt_out_frame *fr, int n)
{
	json_key(j, "frames");
	json_arr_begin(j);
	for (int i = 0; i < n; i++)
		json_frame(j, &fr[i]);
	json_arr_end(j);
}
