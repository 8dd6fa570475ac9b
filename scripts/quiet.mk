# SPDX-License-Identifier: MIT
# Quiet build lines ("  CC       file") for every Makefile of the tree;
# `make V=1` shows the commands. Included as
#   include $(dir $(lastword $(MAKEFILE_LIST)))<path to>/scripts/quiet.mk
ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif
