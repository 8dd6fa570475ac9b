// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include "unit.h"

static struct ut_case *ut_head, **ut_tail = &ut_head;
int ut_failed;

void ut_register(struct ut_case *c)
{
	*ut_tail = c; /* keep file order */
	ut_tail = &c->next;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (struct ut_case *c = ut_head; c; c = c->next) {
		if (argc > 1 && !strstr(c->name, argv[1]))
			continue;
		ut_failed = 0;
		c->fn();
		printf("%s unit/%s\n", ut_failed ? "FAIL" : "PASS", c->name);
		fflush(stdout);
		failed += ut_failed;
	}
	return failed ? 1 : 0;
}
