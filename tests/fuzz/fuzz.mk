# tests/fuzz/fuzz.mk — fuzz targets (libFuzzer) and the valgrind pass.
#
# Included by the top-level Makefile, or run standalone from the repository
# root:  make -f tests/fuzz/fuzz.mk fuzz-check
#
#   fuzz-build      build every target into build/fuzz/ (clang, libFuzzer,
#                   ASan, UBSan)
#   fuzz-check      each target for FUZZ_CHECK_SECONDS (20) on a fresh copy
#                   of its seeds; fails on any crash, leak, timeout,
#                   out-of-memory or failed invariant
#   fuzz            each target for FUZZ_SECONDS (180), its corpus kept in
#                   build/fuzz/corpus/<target> between runs
#   fuzz-run-T      one target T (e.g. fuzz-run-fuzz_index) for FUZZ_SECONDS;
#                   fuzz-check-T likewise; `make -j2 fuzz` runs two at once
#   valgrind-check  the CLI tests with the programs under valgrind memcheck
#
# The library sources are compiled again with clang and coverage
# instrumentation (-fsanitize=fuzzer-no-link); the Xapian shim and the two
# files that call it are left out, no target needs them.  Each run's log
# goes to build/fuzz/logs/<target>.log (tests/fuzz/run.sh).

FUZZ_CC            ?= clang
FUZZ_BUILD         ?= build/fuzz
FUZZ_SECONDS       ?= 180
FUZZ_CHECK_SECONDS ?= 20
FUZZ_TARGETS       := fuzz_reader fuzz_analyze fuzz_query fuzz_index

FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -pthread \
               -Icommon -Isearcher -DAS_DATADIR='"/nonexistent"' \
               -DFUZZ_SRCDIR='"$(CURDIR)"' $(FUZZ_SAN)
FUZZ_LDLIBS  = -lstemmer -lz -lm -pthread

# Every library file except those that call the Xapian shim (found by
# their #include, so a new one needs no edit here).
FUZZ_XAPIAN_C := $(shell grep -l 'xapian_shim\.h' common/*.c 2>/dev/null)
FUZZ_LIB_C   := $(filter-out $(FUZZ_XAPIAN_C),$(sort $(wildcard common/*.c))) \
                searcher/render.c
FUZZ_LIB_O   := $(FUZZ_LIB_C:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_COMMON_O := $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_common.o
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

.PHONY: fuzz fuzz-build fuzz-check valgrind-check

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_COMMON_O) $(FUZZ_LIB_O)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -MMD -MP -MF $@.d \
	  -o $@ $< $(FUZZ_COMMON_O) $(FUZZ_LIB_O) $(FUZZ_LDLIBS)

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)

# One phony target per run, so that `make -j2 fuzz` runs two at a time;
# tests/fuzz/run.sh holds each target's libFuzzer options and prints its
# final statistics.
FUZZ_CHECKS := $(FUZZ_TARGETS:%=fuzz-check-%)
FUZZ_RUNS   := $(FUZZ_TARGETS:%=fuzz-run-%)
.PHONY: $(FUZZ_CHECKS) $(FUZZ_RUNS)

fuzz-check: $(FUZZ_CHECKS)
	@echo "fuzz-check: $(FUZZ_TARGETS) clean, $(FUZZ_CHECK_SECONDS) s each"
$(FUZZ_CHECKS): fuzz-check-%: $(FUZZ_BUILD)/%
	@FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run.sh $* $(FUZZ_CHECK_SECONDS) fresh

fuzz: $(FUZZ_RUNS)
	@echo "fuzz: $(FUZZ_TARGETS) clean, $(FUZZ_SECONDS) s each"
$(FUZZ_RUNS): fuzz-run-%: $(FUZZ_BUILD)/%
	@FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run.sh $* $(FUZZ_SECONDS)

# The CLI tests with AS_BIN pointing at wrappers that run the release
# programs under memcheck (tests/valgrind/run.sh says which tests and why).
valgrind-check:
	$(MAKE) -f Makefile all
	bash tests/valgrind/run.sh
