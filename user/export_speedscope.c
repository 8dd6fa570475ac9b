// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include "export_folded.h"
#include "export_speedscope.h"
#include "json.h"

/* json_str() of s made valid UTF-8 (a JSON parser rejects anything else). */
static int put_clean(struct json *j, const char *s)
{
	char *c = exp_clean(s, false);

	if (!c)
		return -ENOMEM;
	json_str(j, c);
	free(c);
	return 0;
}

int export_speedscope(FILE *f, const struct lt_profile *p)
{
	struct exp_folded fs;
	struct json j;
	char *name = NULL;
	int err;

	err = exp_folded_build(p, &fs);
	if (err)
		return err;
	if (asprintf(&name, "leaktrace: outstanding bytes of %s (pid %d)",
		     p->comm && p->comm[0] ? p->comm : "?", p->pid) < 0) {
		name = NULL;
		err = -ENOMEM;
		goto cleanup;
	}

	json_init(&j, f, 0);
	json_obj_begin(&j);
	json_key(&j, "$schema");
	json_str(&j, "https://www.speedscope.app/file-format-schema.json");
	json_key(&j, "shared");
	json_obj_begin(&j);
	json_key(&j, "frames");
	json_arr_begin(&j);
	for (size_t i = 0; i < fs.nframes && !err; i++) {
		const struct exp_frame *fr = &fs.frames[i];

		json_obj_begin(&j);
		json_key(&j, "name");
		json_str(&j, fr->name); /* already clean */
		if (fr->file) {
			json_key(&j, "file");
			err = put_clean(&j, fr->file);
		}
		if (fr->line > 0) {
			json_key(&j, "line");
			json_int(&j, fr->line);
		}
		json_obj_end(&j);
	}
	if (err)
		goto cleanup;
	json_arr_end(&j);
	json_obj_end(&j);

	json_key(&j, "profiles");
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_key(&j, "type");
	json_str(&j, "sampled");
	json_key(&j, "name");
	err = put_clean(&j, name);
	if (err)
		goto cleanup;
	json_key(&j, "unit");
	json_str(&j, "bytes");
	json_key(&j, "startValue");
	json_int(&j, 0);
	json_key(&j, "endValue");
	json_int(&j, fs.bytes);
	json_key(&j, "samples");
	json_arr_begin(&j);
	for (size_t i = 0; i < fs.nstacks; i++) {
		json_arr_begin(&j);
		for (int k = 0; k < fs.stacks[i].n; k++)
			json_uint(&j, fs.stacks[i].fr[k]);
		json_arr_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "weights");
	json_arr_begin(&j);
	for (size_t i = 0; i < fs.nstacks; i++)
		json_int(&j, fs.stacks[i].bytes);
	json_arr_end(&j);
	json_obj_end(&j);
	json_arr_end(&j);

	json_key(&j, "name");
	err = put_clean(&j, name);
	if (err)
		goto cleanup;
	json_key(&j, "activeProfileIndex");
	json_int(&j, 0);
	json_key(&j, "exporter");
	json_str(&j, "leaktrace");
	json_obj_end(&j);
	fputc('\n', f);
	if (fflush(f) || ferror(f))
		err = -EIO;
cleanup:
	free(name);
	exp_folded_free(&fs);
	return err;
}
