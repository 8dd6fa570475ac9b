// SPDX-License-Identifier: MIT
/*
 * C++ containers that only grow, g++ -O2 without frame pointers
 * (build/cxxgrow) and with them (build/cxxgrow-fp); libstdc++'s code is
 * inlined into the two functions that grow them:
 *   main -> remember -> std::vector<long>::push_back ... -> operator new
 *           1000 longs: the last buffer, 8192 B
 *   main -> keep_name -> std::string(120, 'x') ... -> operator new
 *           10 x 121 B
 * Reported at exit's start, before the static destructors free them.
 */
#include <string>
#include <vector>
#include "prog.h"

#define KEEP __attribute__((noipa))

static std::vector<long> seen;
static std::vector<std::string> names;

KEEP void remember(long x)
{
	seen.push_back(x); /* LEAK:remember */
}

KEEP void keep_name(int i)
{
	names.emplace_back(std::string(120, (char)('a' + i))); /* LEAK:keep_name */
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	names.reserve(16);
	for (long i = 0; i < 1000; i++)
		remember(i);
	for (int i = 0; i < 10; i++)
		keep_name(i);
	prog_finish();
	return 0;
}
