/* SPDX-License-Identifier: MIT */
/*
 * One row of the option table (cli.c's cli_opts[]): names, argument, parser,
 * the struct lt_env field it sets, help and completion. cli.c parses with it,
 * cli_help prints --help, the man page and the completion from it, and
 * cli_check reads what was given.
 */
#ifndef LT_CLI_OPT_H
#define LT_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>

struct lt_env;
struct cli_opt;

struct cli_state {
	struct lt_env *env;
	unsigned int seen; /* SEEN_* of the options given */
};

typedef int (*cli_parse_fn)(const struct cli_opt *o, const char *arg, struct cli_state *st);

/* What the per-mode checks need to know was given, beyond the values. */
enum {
	SEEN_INTERVAL = 1 << 0,		/* -i: must agree with --every */
	SEEN_MAX_ALLOCS = 1 << 1,	/* else -a raises the default */
	SEEN_MAX_AGG = 1 << 2,
	SEEN_CAPS = 1 << 3,		/* --max-files/--max-bytes/--max-age: need --out-dir */
	SEEN_SPOOL = 1 << 4,		/* --spool/--spool-max: need --push */
	SEEN_CONTINUOUS = 1 << 5,	/* options that imply --continuous */
};

enum {
	CLI_HIDDEN = 1 << 0,	/* maintainers': in no help, page or completion */
	CLI_DOC = 1 << 1,	/* help only: an option's second role, parsed by its first row */
	CLI_ARG_EQ = 1 << 2,	/* shown as --name=ARG */
};

/* How bash completes an option's argument. */
enum cli_complete {
	CMP_NONE,	/* a number, a URL, a name: nothing to offer */
	CMP_FILE,
	CMP_DIR,
	CMP_PID,
	CMP_USER,
	CMP_COMM,
	CMP_WORDS,	/* one of .words */
};

struct cli_opt {
	const char *name;	/* long name; NULL: a heading, in .help */
	int key;		/* short option; 0: none */
	const char *arg;	/* the argument's name; NULL: none */
	cli_parse_fn parse;
	size_t off, size;	/* the struct lt_env field that parse sets */
	long min, max;		/* integers' bounds, sizes' minimum */
	unsigned int seen;	/* SEEN_* */
	unsigned int flags;	/* CLI_* */
	enum cli_complete complete;
	const char *words;	/* CMP_WORDS: the values */
	const char *help;	/* '\n' breaks --help's lines; the man page joins them */
};

static inline bool cli_opt_parsed(const struct cli_opt *o)
{
	return o->name && !(o->flags & CLI_DOC);
}

static inline bool cli_opt_documented(const struct cli_opt *o)
{
	return !(o->flags & CLI_HIDDEN);
}

#endif
