// SPDX-License-Identifier: MIT
/* The names reports print for allocators and counters, and the model's
 * release (model.h). */
#include <stdlib.h>
#include <string.h>
#include "model.h"

const char *const lt_kind_names[LT_KIND_MAX] = {
	[LT_MALLOC] = "malloc",
	[LT_CALLOC] = "calloc",
	[LT_REALLOC] = "realloc",
	[LT_REALLOCARRAY] = "reallocarray",
	[LT_POSIX_MEMALIGN] = "posix_memalign",
	[LT_ALIGNED_ALLOC] = "aligned_alloc",
	[LT_MEMALIGN] = "memalign",
	[LT_VALLOC] = "valloc",
	[LT_PVALLOC] = "pvalloc",
	[LT_MMAP] = "mmap",
	[LT_PYMEM_RAW_MALLOC] = "PyMem_RawMalloc",
	[LT_PYMEM_RAW_CALLOC] = "PyMem_RawCalloc",
	[LT_PYMEM_RAW_REALLOC] = "PyMem_RawRealloc",
	[LT_PYMEM_MALLOC] = "PyMem_Malloc",
	[LT_PYMEM_CALLOC] = "PyMem_Calloc",
	[LT_PYMEM_REALLOC] = "PyMem_Realloc",
	[LT_PYOBJECT_MALLOC] = "PyObject_Malloc",
	[LT_PYOBJECT_CALLOC] = "PyObject_Calloc",
	[LT_PYOBJECT_REALLOC] = "PyObject_Realloc",
	[LT_FD] = "fd",
};

const char *const lt_counter_names[LT_CNT_MAX] = {
	[LT_CNT_ALLOCS] = "allocs",
	[LT_CNT_FREES] = "frees",
	[LT_CNT_DROP_ALLOCS_FULL] = "allocs_map_full",
	[LT_CNT_DROP_AGG_FULL] = "agg_map_full",
	[LT_CNT_DROP_STACK] = "stack_lost",
	[LT_CNT_DROP_INFLIGHT] = "inflight_map_full",
	[LT_CNT_FAILED_ALLOCS] = "failed_allocs",
	[LT_CNT_PY_NO_TSTATE] = "py_no_thread_state",
	[LT_CNT_PY_TRUNCATED] = "py_truncated",
	[LT_CNT_DROP_PROCS_FULL] = "procs_map_full",
	[LT_CNT_EVENTS_LOST] = "proc_events_lost",
	[LT_CNT_DROP_OBJS_FULL] = "objects_map_full",
	[LT_CNT_DROP_OBJAGG_FULL] = "objects_agg_map_full",
	[LT_CNT_NEWSTACKS_LOST] = "new_stacks_lost",
	[LT_CNT_STACK_TRUNCATED] = "stack_truncated",
	[LT_CNT_EXIT_FREES] = "exit_frees",
	[LT_CNT_EXIT_FREE_BYTES] = "exit_free_bytes",
	[LT_CNT_EXIT_ALLOCS] = "exit_allocs",
	[LT_CNT_PY_WALKS] = "py_walks_timed",
	[LT_CNT_PY_WALK_NS] = "py_walk_ns",
	[LT_CNT_PY_WALK_FRAMES] = "py_walk_frames",
	[LT_CNT_UW_LOOKUPS] = "uw_lookups",
	[LT_CNT_UW_MISSES] = "uw_misses",
	[LT_CNT_GEN_FREES] = "gen_frees",
};

void model_mark_reported(struct lt_model *m)
{
	m->totals.arena_prev_bytes = m->totals.arena_bytes;
	for (size_t i = 0; i < m->nstacks; i++)
		m->stacks[i].site.prev_bytes = m->stacks[i].site.bytes;
	for (size_t i = 0; i < m->nfds; i++)
		m->fds[i].site.prev_bytes = m->fds[i].site.bytes;
}

void model_free(struct lt_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nstacks; i++)
		free(m->stacks[i].frames);
	for (size_t i = 0; i < m->nfds; i++)
		free(m->fds[i].frames);
	free(m->stacks);
	free(m->suspects);
	free(m->fds);
	free(m->objs);
	if (m->rss) {
		for (size_t i = 0; i < m->rss->nstacks; i++)
			free(m->rss->stacks[i].frames);
		for (size_t i = 0; i < m->rss->nut; i++)
			free(m->rss->ut[i].frames);
		free(m->rss->stacks);
		free(m->rss->ut);
		free(m->rss);
	}
	memset(m, 0, sizeof(*m));
}
