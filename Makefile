# SPDX-License-Identifier: MIT
# `make` builds ./leaktrace, its man page and bash completion; `make demo`
# traces the bundled leaky demo; `make test` runs every suite; `make bench`
# prints overhead ratios; `make install` (PREFIX, DESTDIR) and `make deb`.
# Quiet by default, `make V=1` shows commands.

OUTPUT := .output
CLANG ?= clang
CC ?= gcc
BPFTOOL ?= bpftool
ARCH := x86
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

# the one place the version is kept: debian/changelog's first entry
VERSION := $(shell sed -n '1s/^[^ ]* .\([^ ]*\). .*/\1/p' debian/changelog 2>/dev/null)
VERSION := $(or $(VERSION),unknown)

PKGS := libbpf libelf libdw zlib capstone ncursesw libcurl
CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	  -std=gnu11 -D_GNU_SOURCE -I$(OUTPUT) -Ibpf -Iuser
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -ldw -lz -lcapstone -lncursesw -ltinfo -lcurl)
LDLIBS += -liberty -lm -lpthread
BPF_CFLAGS := -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(dir $(VMLINUX)) -Ibpf \
	      -mcpu=v3

# The BPF side: one part per concern (bpf/NAME.bpf.c), each compiled apart,
# linked into one object. Their order is the linked object's order of maps
# and programs (the linker appends each part's sections): the one from before
# the split, where --rss's programs came first (on a tracepoint they share
# with mmap.bpf.c's, they run in the order attached).
BPF_SRCS := $(patsubst %,bpf/%.bpf.c,leaktrace rss allocs mmap objects fds procs)
BPF_PARTS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(OUTPUT)/leaktrace.skel.h
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%.o,$(UNIT_SRCS))
FX := $(OUTPUT)/fixtures
FX_SRC := tests/unit/fixtures

include $(dir $(lastword $(MAKEFILE_LIST)))scripts/quiet.mk

# `make install`: the binary, the unit, the settings it reads, the man page and
# the completion. sbin: an administrator's tool that needs root or its
# capabilities, with a page in section 8, as bpftool and bcc's tools (sudo's
# PATH has sbin). The unit reads /etc/default/leaktrace, whatever PREFIX.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
MAN := $(OUTPUT)/leaktrace.8
COMPLETION := $(OUTPUT)/leaktrace.bash

.PHONY: all clean deps demo test bench testprogs fuzz fuzzers install uninstall deb
.DELETE_ON_ERROR:
.SECONDARY:

all: leaktrace $(MAN) $(COMPLETION)

deps:
	$(Q)scripts/install-deps.sh

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/unit:
	$(Q)mkdir -p $@

# clang, one object per part -> bpftool gen object links them (libbpf's static
# linker: a map or variable the parts share is defined in leaktrace.bpf.c and
# declared extern in the others, see bpf/lt_maps.bpf.h; it also strips DWARF
# sections it does not need) -> one skeleton, leaktrace.skel.h, embedded in
# the binary.
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/leaktrace.bpf.o: $(BPF_PARTS) Makefile
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $(BPF_PARTS)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/user/cli.o: CPPFLAGS += -DLT_VERSION='"$(VERSION)"'
$(OUTPUT)/user/cli.o: $(wildcard debian/changelog)

leaktrace: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# from the option table in user/cli.c, like --help
$(MAN): leaktrace
	$(call msg,GEN,$@)
	$(Q)./leaktrace --gen-man > $@

$(COMPLETION): leaktrace
	$(call msg,GEN,$@)
	$(Q)./leaktrace --gen-completion > $@

# The settings file is a default: an existing one (edited) is kept.
install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 755 leaktrace $(DESTDIR)$(SBINDIR)/leaktrace
	$(Q)install -D -m 644 $(MAN) $(DESTDIR)$(MANDIR)/man8/leaktrace.8
	$(Q)install -D -m 644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/leaktrace
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed -e 's|/usr/local/bin/leaktrace|$(SBINDIR)/leaktrace|g' \
		-e 's|/etc/default/leaktrace|$(SYSCONFDIR)/default/leaktrace|g' \
		deploy/leaktrace.service > $(DESTDIR)$(UNITDIR)/leaktrace.service
	$(Q)chmod 644 $(DESTDIR)$(UNITDIR)/leaktrace.service
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/default/leaktrace ]; then \
		echo "  kept $(DESTDIR)$(SYSCONFDIR)/default/leaktrace (new default not installed)"; \
	else \
		install -D -m 600 deploy/leaktrace.env $(DESTDIR)$(SYSCONFDIR)/default/leaktrace; \
	fi

# Settings stay, as with apt remove.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/leaktrace $(DESTDIR)$(MANDIR)/man8/leaktrace.8 \
		$(DESTDIR)$(BASHCOMPDIR)/leaktrace $(DESTDIR)$(UNITDIR)/leaktrace.service
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/default/leaktrace ]; then \
		echo "  kept $(DESTDIR)$(SYSCONFDIR)/default/leaktrace (remove it by hand)"; \
	fi

# dpkg-buildpackage over debian/ in a copy of the tree (it writes to ..), then
# lintian; the .deb is copied here.
deb:
	$(Q)scripts/build-deb.sh $(OUTPUT)/deb .

$(OUTPUT)/unit/%.o: tests/unit/%.c | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

tests/unit/unit_tests: $(UNIT_OBJS) $(LIB_OBJS) | $(FX)/.stamp
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ELF fixtures for the symbolizer tests (tests/unit/fixtures/*.c): a PIE
# with a shared library and a dlopen()ed one; the PIE again without a
# build id and as a differing build; stripped copies whose debug files are
# found by .gnu_debuglink next to them, in .debug/, or not at all, and
# copies whose debug link names a file from another build (build-id and
# CRC mismatch). The tests find them next to their own binary.
FX_CFLAGS := -g -O0 -Wl,--build-id
FX_PROG_LIBS = -L$(FX) -lfx -ldl -Wl,-rpath,'$$ORIGIN'

$(FX):
	$(Q)mkdir -p $@

$(FX)/libfx.so: $(FX_SRC)/fx_lib.c | $(FX)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FX_CFLAGS) -fPIC -shared -o $@ $<

$(FX)/libfx_dl.so: $(FX_SRC)/fx_dl.c | $(FX)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FX_CFLAGS) -fPIC -shared -o $@ $<

# Two different libraries claiming one build id (a crafted ELF's trick)
$(FX)/libfx_claim%.so: $(FX_SRC)/fx_dl.c | $(FX)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -g -O0 -fPIC -shared -Wl,--build-id=0x5eed5eed5eed5eed -DFX_CLAIM=$* -o $@ $<

$(FX)/fx_prog: $(FX_SRC)/fx_prog.c $(FX)/libfx.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FX_CFLAGS) -fPIE -pie -o $@ $< $(FX_PROG_LIBS)

$(FX)/fx_other: $(FX_SRC)/fx_prog.c $(FX)/libfx.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FX_CFLAGS) -DFX_OTHER -fPIE -pie -o $@ $< $(FX_PROG_LIBS)

$(FX)/fx_nobid: $(FX_SRC)/fx_prog.c $(FX)/libfx.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FX_CFLAGS) -Wl,--build-id=none -fPIE -pie -o $@ $< $(FX_PROG_LIBS)

$(FX)/fx_other_nobid: $(FX_SRC)/fx_prog.c $(FX)/libfx.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FX_CFLAGS) -Wl,--build-id=none -DFX_OTHER -fPIE -pie -o $@ $< $(FX_PROG_LIBS)

$(FX)/.stamp: $(FX)/fx_prog $(FX)/fx_other $(FX)/fx_nobid $(FX)/fx_other_nobid $(FX)/libfx_dl.so \
	      $(FX)/libfx_claim1.so $(FX)/libfx_claim2.so
	$(call msg,FIXTURE,$(FX)/*.debug *.stripped)
	$(Q)cd $(FX) && rm -rf dotdebug bad badcrc && mkdir -p dotdebug/.debug bad badcrc && \
	objcopy --only-keep-debug fx_prog fx_prog.debug && \
	objcopy --strip-all --add-gnu-debuglink=fx_prog.debug fx_prog fx_prog.stripped && \
	objcopy --strip-all fx_prog fx_prog.nolink && \
	cp fx_prog.stripped dotdebug/ && cp fx_prog.debug dotdebug/.debug/ && \
	cp fx_prog.stripped bad/ && objcopy --only-keep-debug fx_other bad/fx_prog.debug && \
	objcopy --only-keep-debug fx_nobid fx_nobid.debug && \
	objcopy --strip-all --add-gnu-debuglink=fx_nobid.debug fx_nobid fx_nobid.stripped && \
	cp fx_nobid.stripped badcrc/ && objcopy --only-keep-debug fx_other_nobid badcrc/fx_nobid.debug
	$(Q)touch $@

# make test builds the fuzz targets and runs each ~10 s; make fuzz runs them
# longer (FUZZ_SECONDS in all)
FUZZ_SECONDS ?= 1200
fuzzers:
	$(Q)$(MAKE) --no-print-directory -C tests/fuzz

fuzz: fuzzers
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

testprogs:
	$(Q)$(MAKE) --no-print-directory -C tests/integration/progs

# tests/exports/check.sh's sample profile, from the exporters' own objects
$(OUTPUT)/gen_sample: tests/exports/gen_sample.c $(addprefix $(OUTPUT)/user/,export_folded.o \
		export_flame.o export_speedscope.o export_pprof.o pb.o json.o hmap.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lz -o $@

demo: deps
	$(Q)$(MAKE) --no-print-directory leaktrace
	$(Q)$(MAKE) --no-print-directory -C tests/demo
	sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	$$sudo ./leaktrace -d 6 -i 1 -- tests/demo/leaky

test: deps
	$(Q)$(MAKE) --no-print-directory leaktrace tests/unit/unit_tests fuzzers testprogs \
		$(OUTPUT)/gen_sample
	$(Q)tests/run.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory leaktrace
	$(Q)bench/run.sh
	$(Q)bench/budget.sh
	$(Q)bench/pywalk.sh

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) leaktrace tests/unit/unit_tests leaktrace_*.deb
	$(Q)-$(MAKE) --no-print-directory -C tests/fuzz clean
	$(Q)-$(MAKE) --no-print-directory -C tests/integration/progs clean
	$(Q)-$(MAKE) --no-print-directory -C tests/demo clean

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/bpf/*.d $(OUTPUT)/user/*.d $(OUTPUT)/unit/*.d)
