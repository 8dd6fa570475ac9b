/* SPDX-License-Identifier: MIT */
/* Minimal unit-test harness: tests register themselves; the runner prints
 * one "PASS name" / "FAIL name: why" line each (counted by tests/run.sh). */
#ifndef LT_UNIT_H
#define LT_UNIT_H

#include <stdio.h>
#include <string.h>

struct ut_case {
	const char *name;
	void (*fn)(void);
	struct ut_case *next;
};

void ut_register(struct ut_case *c);
extern int ut_failed; /* set by the CHECK macros for the running test */

#define UT_TEST(nm)                                                                \
	static void nm(void);                                                      \
	static struct ut_case ut_case_##nm = { #nm, nm, NULL };                    \
	__attribute__((constructor)) static void ut_reg_##nm(void)                 \
	{                                                                          \
		ut_register(&ut_case_##nm);                                        \
	}                                                                          \
	static void nm(void)

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__,  \
			       #cond);                                             \
			ut_failed = 1;                                             \
		}                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                         \
	do {                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                \
		if (_a != _b) {                                                    \
			printf("  %s:%d: %s == %lld, want %lld\n", __FILE__,        \
			       __LINE__, #a, _a, _b);                              \
			ut_failed = 1;                                             \
		}                                                                  \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                         \
	do {                                                                       \
		const char *_a = (a), *_b = (b);                                   \
		if (!_a || !_b || strcmp(_a, _b)) {                                \
			printf("  %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__,    \
			       __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
			ut_failed = 1;                                             \
		}                                                                  \
	} while (0)

#endif
