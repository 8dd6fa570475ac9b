// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fxutil.h"

/* The test binary is tests/unit/unit_tests: fixtures are found relative to
 * it, so the tests run from any directory. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	char *slash;
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return ".";
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

char *fx_path(char *buf, size_t sz, const char *name)
{
	const char *env = getenv("LT_FIXTURES");
	char tmp[PATH_MAX];

	if (env)
		snprintf(tmp, sizeof(tmp), "%s/%s", env, name);
	else
		snprintf(tmp, sizeof(tmp), "%s/../../.output/fixtures/%s", exe_dir(), name);
	if (!realpath(tmp, buf))
		snprintf(buf, sz, "%s", tmp);
	return buf;
}

int fx_line(const char *src, const char *mark)
{
	char path[PATH_MAX], pat[128], line[512];
	int n = 0, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fixtures/%s", exe_dir(), src);
	snprintf(pat, sizeof(pat), "LT_MARK:%s */", mark);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, pat)) {
			found = n;
			break;
		}
	}
	fclose(f);
	return found;
}

const char *fx_base(const char *path)
{
	const char *s;

	if (!path)
		return NULL;
	s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static FILE *readelf(const char *opts, const char *path)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "readelf %s '%s' 2>/dev/null", opts, path);
	return popen(cmd, "r");
}

int fx_readelf_build_id(const char *path, char *out, size_t sz)
{
	char line[512], *p;
	FILE *f = readelf("-n", path);

	if (!f)
		return -1;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "Build ID: ");
		if (p) {
			snprintf(out, sz, "%s", p + 10);
			out[strcspn(out, " \n")] = '\0';
			break;
		}
	}
	pclose(f);
	return 0;
}

int fx_readelf_offset(const char *path, uint64_t vaddr, uint64_t *off)
{
	unsigned long long o, va, pa, fsz, msz;
	char line[512];
	int ret = -1;
	FILE *f = readelf("-lW", path);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " LOAD 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx", &o, &va, &pa, &fsz,
			   &msz) != 5)
			continue;
		if (vaddr >= va && vaddr < va + fsz) {
			*off = vaddr - va + o;
			ret = 0;
			break;
		}
	}
	pclose(f);
	return ret;
}

int fx_readelf_sym(const char *path, const char *name, uint64_t *value, uint64_t *size)
{
	char line[512], nm[256], type[32];
	unsigned long long v, sz;
	int ret = -1;
	FILE *f = readelf("-Ws", path);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %llx %llu %31s %*s %*s %*s %255s", &v, &sz, type, nm) != 4)
			continue;
		if (!strcmp(nm, name) && !strcmp(type, "FUNC")) {
			*value = v;
			*size = sz;
			ret = 0;
			break;
		}
	}
	pclose(f);
	return ret;
}

int fx_spawn(const char *path, struct fx_proc *p)
{
	int in[2], out[2];

	memset(p, 0, sizeof(*p));
	if (pipe(in))
		return -1;
	if (pipe(out)) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->in = fdopen(in[1], "w");
	p->out = fdopen(out[0], "r");
	if (!p->in || !p->out) {
		fx_kill(p);
		return -1;
	}
	setvbuf(p->in, NULL, _IOLBF, 0);
	return 0;
}

int fx_read_addr(struct fx_proc *p, const char *key, uint64_t *addr)
{
	char line[256];
	size_t klen = strlen(key);

	while (fgets(line, sizeof(line), p->out)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			*addr = strtoull(line + klen + 1, NULL, 16);
			return 0;
		}
	}
	return -1;
}

int fx_wait_line(struct fx_proc *p, const char *word)
{
	char line[256];

	while (fgets(line, sizeof(line), p->out)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, word))
			return 0;
	}
	return -1;
}

void fx_kill(struct fx_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->in)
		fclose(p->in);
	if (p->out)
		fclose(p->out);
	p->in = p->out = NULL;
}
