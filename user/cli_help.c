// SPDX-License-Identifier: MIT
/*
 * --help, the man page (--gen-man) and the bash completion (--gen-completion),
 * all printed from the one option table, so they cannot drift apart; the
 * texts around the options (synopsis, exit statuses, examples) are here.
 */
#include <stdio.h>
#include <string.h>
#include "cli_help.h"
#include "cli_opt.h"


static const char *const synopsis[] = {
	"[OPTIONS] -p PID",
	"[OPTIONS] -- CMD [ARGS...]",
	"[OPTIONS] -a [--comm NAME] [--pid PID] [--uid UID] [--cgroup PATH]",
};

static const char about[] =
	"Find memory leaks in a running process with eBPF: every allocation that is\n"
	"still outstanding, grouped by the stack that made it.\n";

static const char epilog[] =
	"Launch mode holds CMD until every probe is attached, so its first allocation\n"
	"is seen, and exits with CMD's exit status. Needs root, or as little as\n"
	"CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (see README.md).\n";

/* The man page's EXAMPLES (README.md's) and EXIT STATUS. */
static const struct {
	const char *cmd, *what;
} examples[] = {
	{ "leaktrace -p 4242", "Report every 5 s until Ctrl-C." },
	{ "leaktrace -p 4242 -d 60 --json leaks.json", "One minute, then a JSON report." },
	{ "leaktrace -i 10 --min-age 30 -p 4242", "Only allocations older than 30 s." },
	{ "leaktrace -d 5 -- ./server --port 8080",
	  "Launch the server traced from its first allocation; exit with its status." },
	{ "leaktrace --mode lite --max-overhead 2 -p 4242",
	  "Production: the C allocator only, slowing the target by at most 2 %." },
	{ "leaktrace -a --comm gunicorn --comm celery", "Every process with one of these names." },
	{ "leaktrace -a --every 60 --push http://pyroscope:4040",
	  "The fleet agent (leaktrace.service): a heap profile per process and minute, "
	  "pushed to Pyroscope." },
};

static const struct {
	const char *status, *what;
} exit_statuses[] = {
	{ "0", "Traced until the stop (-d, Ctrl-C, SIGTERM, the target's exit), or --help or "
	       "--version." },
	{ "1", "An error, said in one line on stderr: not root, no such pid, a kernel thread, a "
	       "static binary (no libc), no kernel BTF, bad option values, an unwritable --json "
	       "path." },
	{ "-- CMD", "In launch mode, CMD's exit status; 128 + N when signal N ended it "
		   "(a command still running at the stop is sent SIGTERM: 143)." },
};

static const struct {
	const char *path, *what;
} files[] = {
	{ "/etc/default/leaktrace",
	  "The push URL and options of leaktrace.service, the host agent (systemd unit, "
	  "disabled until enabled)." },
	{ "/var/lib/leaktrace/spool", "The agent's profiles not yet delivered." },
};

/* "  -p, --pid PID" */
static int opt_label(const struct cli_opt *o, char *buf, size_t len)
{
	const char *sep = !o->arg ? "" : o->flags & CLI_ARG_EQ ? "=" : " ";

	if (o->key)
		return snprintf(buf, len, "  -%c, --%s%s%s", o->key, o->name, sep, o->arg ?: "");
	return snprintf(buf, len, "      --%s%s%s", o->name, sep, o->arg ?: "");
}

void cli_help_print(FILE *f, const struct cli_opt *opts, size_t n)
{
	char label[64];

	for (size_t i = 0; i < sizeof(synopsis) / sizeof(synopsis[0]); i++)
		fprintf(f, "%sleaktrace %s\n", i ? "       " : "Usage: ", synopsis[i]);
	fprintf(f, "%s\n", about);
	for (const struct cli_opt *o = opts; o < opts + n; o++) {
		int w;

		if (!cli_opt_documented(o))
			continue;
		if (!o->name) {
			fprintf(f, "%s\n", o->help);
			continue;
		}
		w = opt_label(o, label, sizeof(label));
		/* the help column is 25; a longer label keeps two spaces */
		fprintf(f, "%s%*s", label, w < 25 ? 25 - w : 2, "");
		for (const char *h = o->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%25s", "");
		}
		fputc('\n', f);
	}
	fprintf(f, "\n%s", epilog);
}

/* Text into roff: hyphens as minus signs (options are typed), no line begins a request,
 * and help's line breaks join. */
static void roff(FILE *f, const char *s)
{
	bool bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = false;
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '\n' && !s[1])
			break;
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('\n', f);
}

void cli_help_man(FILE *f, const struct cli_opt *opts, size_t n, const char *version)
{
	fprintf(f, ".\\\" SPDX-License-Identifier: MIT\n"
		   ".\\\" Made by leaktrace --gen-man from the option table in user/cli.c.\n"
		   ".TH LEAKTRACE 8 \"\" \"leaktrace %s\" \"System Administration\"\n"
		   ".SH NAME\n"
		   "leaktrace \\- find memory leaks in running processes with eBPF\n"
		   ".SH SYNOPSIS\n", version);
	for (size_t i = 0; i < sizeof(synopsis) / sizeof(synopsis[0]); i++) {
		fputs(i ? ".br\n.B leaktrace\n" : ".B leaktrace\n", f);
		roff(f, synopsis[i]);
	}
	fputs(".SH DESCRIPTION\n", f);
	roff(f, about);
	fputs(".PP\n", f);
	roff(f, epilog);
	fputs(".SH OPTIONS\n", f);
	for (const struct cli_opt *o = opts; o < opts + n; o++) {
		if (!cli_opt_documented(o))
			continue;
		if (!o->name) {
			fputs(".SS ", f);
			roff(f, o->help);
			continue;
		}
		fputs(".TP\n", f);
		if (o->key)
			fprintf(f, "\\fB\\-%c\\fR, ", o->key);
		fputs("\\fB\\-\\-", f);
		for (const char *c = o->name; *c; c++) {
			if (*c == '-')
				fputc('\\', f);
			fputc(*c, f);
		}
		fputs("\\fR", f);
		if (o->arg)
			fprintf(f, "%s\\fI%s\\fR", o->flags & CLI_ARG_EQ ? "=" : " ", o->arg);
		fputc('\n', f);
		roff(f, o->help);
	}
	fputs(".SH EXIT STATUS\n", f);
	for (size_t i = 0; i < sizeof(exit_statuses) / sizeof(exit_statuses[0]); i++) {
		fputs(".TP\n.B ", f);
		roff(f, exit_statuses[i].status);
		roff(f, exit_statuses[i].what);
	}
	fputs(".SH FILES\n", f);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fputs(".TP\n.I ", f);
		roff(f, files[i].path);
		roff(f, files[i].what);
	}
	fputs(".SH EXAMPLES\n", f);
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		fputs(".TP\n.B ", f);
		roff(f, examples[i].cmd);
		roff(f, examples[i].what);
	}
	fputs(".SH SEE ALSO\n"
	      "README.md (in Debian: /usr/share/doc/leaktrace/README.md.gz): output formats, "
	      "modes, costs and limitations.\n", f);
}

/* The options that take an argument as a case pattern ("-p | --pid | ..."); with only, those
 * whose argument is completed as its is. */
static void arg_pattern(FILE *f, const struct cli_opt *opts, size_t n,
			const struct cli_opt *only)
{
	const char *sep = "";

	for (const struct cli_opt *o = opts; o < opts + n; o++) {
		if (!cli_opt_parsed(o) || !cli_opt_documented(o) || !o->arg ||
		    (only && o->complete != only->complete) ||
		    (only && o->complete == CMP_WORDS && strcmp(o->words, only->words)))
			continue;
		if (o->key) {
			fprintf(f, "%s-%c", sep, o->key);
			sep = " | ";
		}
		fprintf(f, "%s--%s", sep, o->name);
		sep = " | ";
	}
}

void cli_help_completion(FILE *f, const struct cli_opt *opts, size_t n)
{
	static const char *const how[] = {
		[CMP_NONE] = "return",
		[CMP_FILE] = "_filedir; return",
		[CMP_DIR] = "_filedir -d; return",
		[CMP_PID] = "_pids; return",
		[CMP_USER] = "_allowed_users; return",
		[CMP_COMM] = "_pnames; return",
	};
	bool done[n];

	memset(done, 0, sizeof(done));
	fputs("# SPDX-License-Identifier: MIT\n"
	      "# bash completion for leaktrace(8), made by leaktrace --gen-completion from the\n"
	      "# option table in user/cli.c.\n"
	      "_leaktrace()\n"
	      "{\n"
	      "\tlocal cur prev words cword split i\n"
	      "\t_init_completion -s || return\n"
	      "\n"
	      "\t# options stop at -- or at the first other word: CMD and its own arguments\n"
	      "\tfor ((i = 1; i < cword; i++)); do\n"
	      "\t\tcase ${words[i]} in\n"
	      "\t\t--)\n"
	      "\t\t\t_command_offset $((i + 1))\n"
	      "\t\t\treturn\n"
	      "\t\t\t;;\n"
	      "\t\t", f);
	arg_pattern(f, opts, n, NULL);
	fputs(")\n"
	      "\t\t\t((i++)) # its argument\n"
	      "\t\t\t;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t*)\n"
	      "\t\t\t_command_offset $i\n"
	      "\t\t\treturn\n"
	      "\t\t\t;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\n"
	      "\tcase $prev in\n", f);
	/* one branch per kind of argument */
	for (size_t i = 0; i < n; i++) {
		const struct cli_opt *o = &opts[i];

		if (!cli_opt_parsed(o) || !cli_opt_documented(o) || !o->arg || done[i])
			continue;
		for (size_t j = i; j < n; j++) {
			const struct cli_opt *p = &opts[j];

			done[j] |= p->complete == o->complete &&
				   (o->complete != CMP_WORDS || !strcmp(p->words, o->words));
		}
		fputs("\t", f);
		arg_pattern(f, opts, n, o);
		if (o->complete == CMP_WORDS)
			fprintf(f, ")\n\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n\t\treturn\n"
				   "\t\t;;\n", o->words);
		else
			fprintf(f, ")\n\t\t%s\n\t\t;;\n", how[o->complete]);
	}
	fputs("\tesac\n"
	      "\t$split && return\n"
	      "\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", f);
	for (const struct cli_opt *o = opts; o < opts + n; o++) {
		if (!cli_opt_parsed(o) || !cli_opt_documented(o))
			continue;
		if (o->key)
			fprintf(f, "-%c ", o->key);
		fprintf(f, "--%s%s ", o->name, o->flags & CLI_ARG_EQ ? "=" : "");
	}
	fputs("' -- \"$cur\"))\n"
	      "\t\t[[ ${COMPREPLY-} == *= ]] && compopt -o nospace\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\t_command_offset $cword # CMD\n"
	      "} &&\n"
	      "\tcomplete -F _leaktrace leaktrace\n", f);
}

