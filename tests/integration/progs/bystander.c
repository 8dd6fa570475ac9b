// SPDX-License-Identifier: MIT
/*
 * Another process on the same libc, leaking while leaktrace traces the
 * leaker: none of this may show up in the leaker's report.
 */
#include "prog.h"

static void *kept[200];

static void bystander_leak(void)
{
	for (int i = 0; i < 200; i++)
		kept[i] = malloc(64); /* LEAK:bystander_leak */
}

static void bystander_churn(void)
{
	for (int i = 0; i < 5000; i++)
		free(malloc(32 + i % 100)); /* FREED:bystander_churn */
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	bystander_churn();
	bystander_leak();
	bystander_churn();
	prog_finish();
	return 0;
}
