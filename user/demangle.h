/* SPDX-License-Identifier: MIT */
/*
 * Symbol names as users read them: C++ (Itanium) and Rust (legacy
 * "_ZN...17h<hash>E", without its hash, and v0 "_R...") demangled by
 * libiberty's demangler, the one binutils and gdb use.
 */
#ifndef LT_DEMANGLE_H
#define LT_DEMANGLE_H

/* The readable name (malloc'd, the caller frees it), or NULL when name is
 * not mangled or not demangleable (then show it as it is). */
char *demangle(const char *name);

#endif
