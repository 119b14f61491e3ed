# assess-search — build, test, demo, install.
#
#   make          build bin/assess-index and bin/assess-search
#   make check    unit + CLI tests, the same under ASan/UBSan, the unit
#                 tests without the AVX2 paths, each fuzz target for 20 s,
#                 the CLI tests under valgrind, man lint
#   make demo     build, index the bundled corpus, search it
#   make install  PREFIX=/usr/local DESTDIR= (binaries, the Xapian plugin,
#                 man pages, corpus)
#
# Sources are found by wildcard: every common/*.c (and the one common/*.cc,
# the Xapian shim) goes into the library, every tests/unit/test_*.c is a test
# program, every tests/cli/*.sh a CLI test.  Adding a file needs no edit here.
#
# The two programs do not link Xapian (nor libstdc++): loading them was half
# of a short search's instructions.  --engine xapian and --xapian load
# assess-xapian.so (common/xplugin.h), built from plugin/xapian.c and a
# position-independent copy of the library, and found beside the program
# (bin/) or in $(PREFIX)/lib/assess-search/.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build/rel
SAN     ?=

CC      ?= cc
CXX     ?= c++
OPT     ?= -O2
CFLAGS_ALL   = -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -pthread -Icommon $(CFLAGS)
CXXFLAGS_ALL = -std=c++17 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -pthread -Icommon $(CXXFLAGS)
LDLIBS_ALL   = -lstemmer -lz -lm -pthread $(LDLIBS)
LDLIBS_XAPIAN = -lxapian -lstdc++ $(LDLIBS_ALL)
# The two programs link libstemmer and zlib statically and are not position
# independent: a search process spent ~0.8 of its 2.7 ms CPU relocating
# (libstemmer.so alone has 10,840 relocations, for every language's tables)
# and faulting in the relocated pages (237 page faults -> 139).  Measured
# with perf stat; see bench/RESULTS.md.  Not with the sanitizers.  -z now:
# binding the ~90 libc/libm symbols at start is cheaper than lazy binding's
# one trip through the resolver per first call (~6% of a search process).
PROG_LDFLAGS = $(if $(SAN),,-no-pie -Wl,-z,now)
PROG_LIBS    = $(if $(SAN),$(LDLIBS_ALL),-Wl,-Bstatic -lstemmer -lz -Wl,-Bdynamic -lm -pthread $(LDLIBS))
ifneq ($(SAN),)
CFLAGS_ALL   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CXXFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS      += -fsanitize=address,undefined
endif

DATADIR = $(PREFIX)/share/assess-search
PLUGINDIR = $(PREFIX)/lib/assess-search
CFLAGS_ALL += -DAS_DATADIR='"$(DATADIR)"' -DAS_PLUGINDIR='"$(PLUGINDIR)"'

COMMON_C  := $(sort $(wildcard common/*.c))
COMMON_CC := $(sort $(wildcard common/*.cc))
INDEXER_C := $(sort $(wildcard indexer/*.c))
SEARCH_C  := $(sort $(wildcard searcher/*.c))
UNIT_C    := $(sort $(wildcard tests/unit/test_*.c))
CLI_SH    := $(sort $(wildcard tests/cli/*.sh))
MANS      := $(sort $(wildcard man/*.1 man/*.5))

LIB     = $(BUILD)/libassess.a
LIBOBJ  = $(COMMON_C:%.c=$(BUILD)/%.o) $(COMMON_CC:%.cc=$(BUILD)/%.o)
PICLIB  = $(BUILD)/pic/libassess.a
PICOBJ  = $(COMMON_C:%.c=$(BUILD)/pic/%.o) $(COMMON_CC:%.cc=$(BUILD)/pic/%.o)
BINDIR  = $(if $(SAN),$(BUILD)/bin,bin)
PLUGIN  = $(BINDIR)/assess-xapian.so
PROGS   = $(BINDIR)/assess-index $(BINDIR)/assess-search $(PLUGIN)
# -z defs: an unresolved symbol fails the link, not the dlopen (not with
# the sanitizers, whose runtime the program brings).
PLUGIN_LDFLAGS = -shared -Wl,--exclude-libs,ALL $(if $(SAN),,-Wl,-z,defs)
UNITS   = $(UNIT_C:tests/unit/%.c=$(BUILD)/tests/%)
DEPSTAMP = build/.deps-ok

.PHONY: all check test-unit test-cli test-san test-noavx2 lint-man demo install clean deps bench eval
.SUFFIXES:

all: $(PROGS)

# Debian packages the project needs; installed when missing (root, apt-get).
deps: $(DEPSTAMP)
$(DEPSTAMP): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p build && touch $@

$(BUILD)/%.o: %.c $(DEPSTAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@
$(BUILD)/%.o: %.cc $(DEPSTAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIBOBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pic/%.o: %.c $(DEPSTAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -MMD -MP -c $< -o $@
$(BUILD)/pic/%.o: %.cc $(DEPSTAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_ALL) -fPIC -MMD -MP -c $< -o $@
$(PICLIB): $(PICOBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(PLUGIN): $(BUILD)/pic/plugin/xapian.o $(PICLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) $(PLUGIN_LDFLAGS) -o $@ $^ $(LDLIBS_XAPIAN)

$(BINDIR)/assess-index: $(INDEXER_C:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) $(PROG_LDFLAGS) -o $@ $^ $(PROG_LIBS)
$(BINDIR)/assess-search: $(SEARCH_C:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) $(PROG_LDFLAGS) -o $@ $^ $(PROG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS_XAPIAN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

test-unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ( cd tests && AS_SRCDIR=$(CURDIR) ../$$t ); done

test-cli: $(PROGS)
	@set -e; for t in $(CLI_SH); do echo "== $$t"; \
	  AS_BIN=$(CURDIR)/$(BINDIR) AS_SRCDIR=$(CURDIR) bash $$t; done

# The same tests built with AddressSanitizer and UBSan.
test-san:
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 test-unit test-cli

# The unit tests built with -DAS_NO_AVX2: bitpack.c's and postings.c's AVX2
# paths left out, so that their scalar and SSE2 fallbacks, which a machine
# with AVX2 runs only on short tails, are tested whole.
test-noavx2:
	$(MAKE) BUILD=build/noavx2 CFLAGS="$(CFLAGS) -DAS_NO_AVX2" test-unit

lint-man: $(DEPSTAMP)
	@for m in $(MANS); do mandoc -Tlint -W warning $$m || exit 1; done
	@echo "man pages lint-clean: $(MANS)"

# Fuzz targets (20 s each here; `make fuzz FUZZ_SECONDS=600` for long runs)
# and the valgrind pass: tests/fuzz/fuzz.mk, tests/valgrind/run.sh.
include tests/fuzz/fuzz.mk

check: all
	$(MAKE) test-unit test-cli
	$(MAKE) test-san
	$(MAKE) test-noavx2
	$(MAKE) fuzz-check
	$(MAKE) valgrind-check
	$(MAKE) lint-man
	@echo "make check: all tests passed"

demo: all
	@rm -rf build/demo-index
	./bin/assess-index --index build/demo-index corpus
	./bin/assess-search --index build/demo-index "technology enabled care"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(DATADIR)/corpus \
	  $(DESTDIR)$(PLUGINDIR)
	install -m 755 bin/assess-index bin/assess-search $(DESTDIR)$(PREFIX)/bin/
	install -m 644 bin/assess-xapian.so $(DESTDIR)$(PLUGINDIR)/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/
	cp -R corpus/. $(DESTDIR)$(DATADIR)/corpus/

# Benchmarks and ranking quality (not part of check): see bench/README.md.
bench:
	$(MAKE) -C bench bench
eval:
	$(MAKE) -C bench eval

clean:
	rm -rf build bin
