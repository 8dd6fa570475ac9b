// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include "export_flame.h"
#include "export_folded.h"
#include "export_pprof.h"
#include "export_speedscope.h"
#include "exports.h"
#include "log.h"
#include "output.h"
#include "profile.h"

enum { EXP_FOLDED, EXP_FLAME, EXP_SPEEDSCOPE, EXP_PPROF, EXP_MAX };

static const char *path_of(const struct lt_env *env, int kind)
{
	switch (kind) {
	case EXP_FOLDED: return env->folded_path;
	case EXP_FLAME: return env->flame_path;
	case EXP_SPEEDSCOPE: return env->speedscope_path;
	default: return env->pprof_path;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int exports_check(const struct lt_env *env)
{
	for (int k = 0; k < EXP_MAX; k++) {
		struct output *o;
		const char *path = path_of(env, k);
		int err;

		if (!path)
			continue;
		err = output_open(path, &o); /* says what is wrong */
		if (err)
			return err;
		output_abort(o);
	}
	return 0;
}

bool exports_any(const struct lt_env *env)
{
	return env->folded_path || env->flame_path || env->speedscope_path || env->pprof_path;
}

int exports_write(const struct lt_env *env, const struct lt_model *m,
		  const struct report_info *ri)
{
	struct lt_profile prof;
	int err = 0;

	if (!exports_any(env))
		return 0;
	err = profile_of(m, ri, &prof);
	if (err)
		return err;
	for (int k = 0; k < EXP_MAX && !err; k++) {
		const char *path = path_of(env, k);
		struct output *o;
		FILE *f;

		if (!path)
			continue;
		err = output_open(path, &o);
		if (err)
			break;
		f = output_file(o);
		switch (k) {
		case EXP_FOLDED: err = export_folded(f, &prof); break;
		case EXP_FLAME: err = export_flamegraph(f, &prof, ends_with(path, ".html")); break;
		case EXP_SPEEDSCOPE: err = export_speedscope(f, &prof); break;
		default: err = export_pprof(f, &prof); break;
		}
		if (err) {
			output_abort(o);
		} else {
			err = output_commit(o);
		}
		if (err)
			elog("cannot write %s: %s\n", path, strerror(-err));
	}
	profile_free(&prof);
	return err;
}
