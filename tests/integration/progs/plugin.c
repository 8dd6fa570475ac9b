// SPDX-License-Identifier: MIT
// build/libplugin.so, loaded with dlopen() by dlopener: 25 x 200 B leak here.
#include <stdlib.h>
#include <string.h>

static void *kept[25];

void plugin_leak(void)
{
	for (int i = 0; i < 25; i++) {
		kept[i] = malloc(200); /* LEAK:plugin_leak */
		memset(kept[i], 0, 200);
	}
}
