// SPDX-License-Identifier: MIT
/*
 * leakext: a CPython extension for cext.py. hoard(n) mallocs n bytes, fills
 * them and drops the pointer. run.py builds it for each interpreter under test:
 *
 *   gcc -shared -fPIC -g -O0 -fno-omit-frame-pointer -I<include> \
 *       leakext.c -o <tmp>/leakext<EXT_SUFFIX>
 *
 * tracemalloc never sees plain malloc, so each block is also reported to it
 * with PyTraceMalloc_Track: the oracle mode (prog.py) can then check the
 * marked line too. Without tracemalloc running that call does nothing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEAKEXT_DOMAIN 0x4c54 /* any domain but tracemalloc's own 0 */

static PyObject *leakext_hoard(PyObject *self, PyObject *arg)
{
	Py_ssize_t n = PyLong_AsSsize_t(arg);
	void *p;

	if (n == -1 && PyErr_Occurred())
		return NULL;
	if (n <= 0) {
		PyErr_SetString(PyExc_ValueError, "hoard: size must be positive");
		return NULL;
	}
	p = malloc(n);
	if (!p)
		return PyErr_NoMemory();
	memset(p, 0x6c, n);
	PyTraceMalloc_Track(LEAKEXT_DOMAIN, (uintptr_t)p, n);
	Py_RETURN_NONE;
}

static PyMethodDef leakext_methods[] = {
	{ "hoard", leakext_hoard, METH_O, "hoard(n): malloc n bytes and never free them" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef leakext_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "leakext",
	.m_doc = "Leaks on purpose, for leaktrace's tests.",
	.m_size = -1,
	.m_methods = leakext_methods,
};

PyMODINIT_FUNC PyInit_leakext(void)
{
	return PyModule_Create(&leakext_module);
}
