// SPDX-License-Identifier: MIT
/*
 * dlopen()s build/libplugin.so (next to this binary) after the go signal and
 * calls plugin_leak(), so the leaking code lives in a module mapped after
 * leaktrace attached.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include "prog.h"

static void call_plugin(void *lib)
{
	void (*leak)(void) = (void (*)(void))dlsym(lib, "plugin_leak");

	if (!leak)
		die("dlsym: %s\n", dlerror());
	leak();
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h;

	if (n < 0)
		die("readlink /proc/self/exe failed\n");
	exe[n] = '\0';
	snprintf(lib, sizeof(lib), "%s/libplugin.so", dirname(exe));
	prog_start(argc, argv);
	h = dlopen(lib, RTLD_NOW);
	if (!h)
		die("dlopen: %s\n", dlerror());
	call_plugin(h);
	say("plugin leaked\n");
	prog_finish();
	return 0;
}
