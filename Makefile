# nmtc — build, test, demo, bench.
#   make            build every tool into bin/
#   make test       unit + CLI tests, ends with "N passed, M failed"
#   make test-san   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-tsan  the threaded unit tests (TSAN_TESTS) under ThreadSanitizer, in build-tsan/
#   make demo       train on the embedded corpus, translate, score, dump attention
#   make bench      throughput figures (bench/results.json)
#   make fuzz       build the libFuzzer targets with clang and run each SECONDS seconds (default 60)
#   make install    PREFIX=/usr/local DESTDIR= : tools, libnmt, nmt.h, nmt.pc, man pages
#   make uninstall  the same PREFIX and DESTDIR: what install made (and the module's __pycache__)
#   make man        regenerate man/*.1 from the tools' --help (help2man)
#   make NATIVE=1   a -march=native build in build-native/ (for comparisons)
CC := gcc
SAN ?= 0
TSAN ?= 0
# Vectorize the element-wise loops (gates, tanh, exp) that -O2 alone leaves
# scalar: GCC's default -O2 cost model takes no loop that needs a remainder,
# and -ftrapping-math keeps the clamps and selects of fast_expf/fast_tanhf
# from becoming vector blends (nmtc never enables floating-point traps).
# -fno-math-errno lets sqrtf be the instruction (no errno to set), which a
# vector loop needs. None of them lets the compiler change a result (no
# reassociation, no FMA contraction in -std=c11); sums keep their bits
# through fixed lanes (nn/nn.h).
VECTORIZE := -fvect-cost-model=dynamic -fno-trapping-math -fno-math-errno
NATIVE ?= 0
ifeq ($(SAN),1)
BUILD := build-san
BIN := build-san/bin
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(TSAN),1)
BUILD := build-tsan
BIN := build-tsan/bin
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS += -fsanitize=thread
# ---- portable by default: the x86-64 baseline, hot loops cloned per ISA (src/nn/cpu.h) ----
else ifeq ($(NATIVE),1)
BUILD := build-native
BIN := build-native/bin
OPT := -O2 -march=native -g $(VECTORIZE)
else
BUILD := build
BIN := bin
OPT := -O2 -g $(VECTORIZE)
endif
# ---- end portable ----
CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -Isrc -Iinclude $(OPT) -MMD -MP
LDLIBS := -ldnnl -lopenblas -lutf8proc -lz -lm
# libmicrohttpd and cJSON: nmt-serve's HTTP and JSON (src/serve), linked into nmt-serve alone
SERVE_LIBS := -lmicrohttpd -lcjson
LDFLAGS += -fopenmp
# Open MPI (only src/sys/dist.c and dist_shared.c include mpi.h). Expanded when a recipe runs,
# that is after scripts/deps.sh has installed the packages.
MPI_CFLAGS = $(shell mpicc --showme:compile)
MPI_LIBS = $(shell mpicc --showme:link)

# the library: every folder of src/ but serve/, which only nmt-serve links, so
# that libnmt (and the Python module over it) needs no HTTP or JSON library
LIB_SRC := $(sort $(shell find src -name '*.c' -not -path 'src/serve/*'))
SERVE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard src/serve/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOLS := $(TOOL_SRC:tools/%.c=$(BIN)/%)
# what the tools share and the library has no business with: flag parsing that
# exits, the output files of nmt-translate and nmt-score (tools/common/)
TOOL_COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tools/common/*.c)))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK := $(BUILD)/.deps-ok
# libnmt.so (its rules are below)
SO_MAJOR := 1
SO_VERSION := 1.4.0
SHLIB := $(BUILD)/libnmt.so.$(SO_VERSION)
PIC_OBJ := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)

.SECONDARY:
.PHONY: all test test-san test-tsan tsan-run demo bench clean deps fuzz fuzz-build
all: $(BUILD)/libnmt.a $(TOOLS) $(SHLIB)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@mkdir -p $(BUILD)
	@CC=$(CC) sh scripts/deps.sh
	@touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@
$(BUILD)/src/sys/dist.o $(BUILD)/src/sys/dist_shared.o: EXTRA_CFLAGS = $(MPI_CFLAGS)

$(BUILD)/libnmt.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: $(BUILD)/tools/%.o $(TOOL_COMMON_OBJ) $(BUILD)/libnmt.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

$(BIN)/nmt-serve: $(BUILD)/tools/nmt-serve.o $(TOOL_COMMON_OBJ) $(SERVE_OBJ) $(BUILD)/libnmt.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(SERVE_LIBS) $(MPI_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libnmt.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

# NMT_SAN tells the tests which suite runs them (tests/cli/test_compat.sh skips under SAN=1).
test: $(TOOLS) $(TESTS) $(SHLIB)
	@sh scripts/deps.sh test
	@NMT_SAN=$(SAN) bash tests/run.sh $(BUILD) $(BIN)

test-san:
	@$(MAKE) --no-print-directory SAN=1 test

# ThreadSanitizer: the unit tests that run threads of their own (TSAN_TESTS: the C API called
# from several threads at once), built into build-tsan/ with -fsanitize=thread (the hot loops
# without per-ISA clones, src/nn/cpu.h). A race report fails the test (exit status 66).
# libgomp is not instrumented, so TSan cannot see an OpenMP team's barriers and reports races
# in every parallel region of more than one thread that are not there: the tests run with one
# OpenMP thread (OMP_NUM_THREADS=1, and one thread per call in test_api_threads), which leaves
# every report about the application's own threads. The suites whose threads are OpenMP
# teams (test_translate, test_search, test_align, test_optim, test_gemm) are therefore not here.
TSAN_TESTS := test_api_threads
test-tsan:
	@$(MAKE) --no-print-directory TSAN=1 tsan-run
tsan-run: $(TSAN_TESTS:%=$(BUILD)/tests/%)
	@OMP_NUM_THREADS=1 bash tests/run.sh $(BUILD) $(BIN) $(TSAN_TESTS)

demo: $(TOOLS)
	@bash corpora/toy/demo.sh $(BIN)

# The default build's bench also runs a make NATIVE=1 build of nmt-bench next to it.
bench: $(TOOLS) $(BUILD)/bench/nmt-bench
	@sh scripts/deps.sh bench
ifeq ($(NATIVE)$(SAN),00)
	@$(MAKE) --no-print-directory NATIVE=1 build-native/bench/nmt-bench
	@NATIVE_BENCH=build-native/bench/nmt-bench bash bench/run.sh $(BUILD) $(BIN)
else
	@bash bench/run.sh $(BUILD) $(BIN)
endif

$(BUILD)/bench/nmt-bench: $(BUILD)/bench/nmt-bench.o $(BUILD)/libnmt.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

# Fuzzing: the library again, built by clang with ASan + UBSan and the
# libFuzzer instrumentation, linked into one binary per tests/fuzz/fuzz_*.c.
FUZZ_BUILD := build-fuzz
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -Isrc -Iinclude -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Wno-pass-failed -MMD -MP \
	-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
SECONDS ?= 60

$(FUZZ_BUILD)/.deps-ok:
	@mkdir -p $(FUZZ_BUILD)
	@FUZZ=1 CC=$(FUZZ_CC) sh scripts/deps.sh
	@touch $@

$(FUZZ_BUILD)/src/sys/dist.o $(FUZZ_BUILD)/src/sys/dist_shared.o: EXTRA_CFLAGS = $(MPI_CFLAGS)
$(FUZZ_BUILD)/%.o: %.c tests/fuzz/coverage-ignore.txt | $(FUZZ_BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libnmt.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libnmt.a
	$(FUZZ_CC) -fopenmp -fsanitize=fuzzer,address,undefined $^ -o $@ $(LDLIBS) $(MPI_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(SECONDS)

clean:
	rm -rf build build-san build-tsan build-fuzz build-native bin

# ---- libnmt.so: the library again as position-independent code (build/pic/), so the
# tools and libnmt.a keep their non-PIC code. Only the nmt_* API of include/nmt.h is
# exported (src/api/libnmt.map); the .so records every library it needs. ----
$(BUILD)/pic/src/sys/dist.o $(BUILD)/pic/src/sys/dist_shared.o: EXTRA_CFLAGS = $(MPI_CFLAGS)
$(BUILD)/pic/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -fPIC -c $< -o $@

$(SHLIB): $(PIC_OBJ) src/api/libnmt.map
	$(CC) -shared -Wl,-soname,libnmt.so.$(SO_MAJOR) -Wl,--version-script=src/api/libnmt.map -Wl,--no-undefined \
	    $(LDFLAGS) $(PIC_OBJ) -o $@ $(LDLIBS) $(MPI_LIBS)
	ln -sf libnmt.so.$(SO_VERSION) $(BUILD)/libnmt.so.$(SO_MAJOR)
	ln -sf libnmt.so.$(SO_MAJOR) $(BUILD)/libnmt.so
# ---- end libnmt.so ----

# ---- install / uninstall (GNU conventions: PREFIX, DESTDIR) ----
PREFIX ?= /usr/local
bindir := $(PREFIX)/bin
libdir := $(PREFIX)/lib
includedir := $(PREFIX)/include
mandir := $(PREFIX)/share/man
pythondir := $(PREFIX)/share/nmtc/python
TOOL_NAMES := $(TOOL_SRC:tools/%.c=%)
MAN_PAGES := $(TOOL_NAMES:%=man/%.1)
INSTALL_DIRS = $(bindir) $(libdir)/pkgconfig $(includedir) $(mandir)/man1 $(pythondir)
# The directories install creates (those missing before, up to DESTDIR but not DESTDIR itself),
# recorded so that uninstall removes those and only those, and only when empty: never a
# directory that was there before, such as an empty /usr/local/bin.
DIRS_MADE = $(PREFIX)/share/nmtc/installed-dirs
.PHONY: install uninstall man
install: all
	@set -e; made=$$(for d in $(INSTALL_DIRS); do \
	    while [ "$$d" != / ] && [ "$$d" != . ] && [ ! -d "$(DESTDIR)$$d" ]; do echo "$$d"; d=$$(dirname "$$d"); done; \
	done); \
	echo install -d $(INSTALL_DIRS:%=$(DESTDIR)%); install -d $(INSTALL_DIRS:%=$(DESTDIR)%); \
	old=$$([ ! -f "$(DESTDIR)$(DIRS_MADE)" ] || cat "$(DESTDIR)$(DIRS_MADE)"); \
	printf '%s\n' $$made $$old | sed '/^$$/d' | sort -u >"$(DESTDIR)$(DIRS_MADE)"
	install -m 755 $(TOOLS) $(DESTDIR)$(bindir)/
	install -m 755 $(SHLIB) $(DESTDIR)$(libdir)/
	ln -sf libnmt.so.$(SO_VERSION) $(DESTDIR)$(libdir)/libnmt.so.$(SO_MAJOR)
	ln -sf libnmt.so.$(SO_MAJOR) $(DESTDIR)$(libdir)/libnmt.so
	install -m 644 $(BUILD)/libnmt.a $(DESTDIR)$(libdir)/
	install -m 644 include/nmt.h $(DESTDIR)$(includedir)/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(mandir)/man1/
	install -m 644 python/nmtc.py $(DESTDIR)$(pythondir)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(SO_VERSION)|' -e 's|@LIBS_PRIVATE@|$(LDFLAGS) $(LDLIBS) $(MPI_LIBS)|' \
	    nmt.pc.in >$(DESTDIR)$(libdir)/pkgconfig/nmt.pc

uninstall:
	rm -f $(TOOL_NAMES:%=$(DESTDIR)$(bindir)/%) $(TOOL_NAMES:%=$(DESTDIR)$(mandir)/man1/%.1)
	rm -f $(DESTDIR)$(libdir)/libnmt.so.$(SO_VERSION) $(DESTDIR)$(libdir)/libnmt.so.$(SO_MAJOR) \
	    $(DESTDIR)$(libdir)/libnmt.so $(DESTDIR)$(libdir)/libnmt.a $(DESTDIR)$(libdir)/pkgconfig/nmt.pc \
	    $(DESTDIR)$(includedir)/nmt.h $(DESTDIR)$(pythondir)/nmtc.py $(DESTDIR)$(pythondir)/__pycache__/nmtc.*.pyc
# Then the directories install made, deepest first, and the __pycache__ that running the
# installed module made: each one when empty; one holding other files stays (named), and a
# directory that cannot be removed fails the target with rmdir's reason.
	@set -e; made=$$([ ! -f "$(DESTDIR)$(DIRS_MADE)" ] || cat "$(DESTDIR)$(DIRS_MADE)"); \
	rm -f "$(DESTDIR)$(DIRS_MADE)"; \
	for d in $$(printf '%s\n' $(pythondir)/__pycache__ $(pythondir) $(PREFIX)/share/nmtc $$made | sort -ru); do \
	    [ -d "$(DESTDIR)$$d" ] || continue; \
	    if [ -n "$$(ls -A "$(DESTDIR)$$d")" ]; then echo "keeping $(DESTDIR)$$d: not empty"; \
	    else echo "rmdir $(DESTDIR)$$d"; rmdir "$(DESTDIR)$$d"; fi; \
	done

# The pages are committed; this rewrites them from --help and man/*.h2m (needs help2man,
# which scripts/deps.sh installs). tests/cli/test_man.sh fails when a page is stale.
man: $(TOOLS)
	@sh scripts/deps.sh man
	@for t in $(TOOL_NAMES); do bash scripts/man.sh $(BIN)/$$t man/$$t.1 || exit 1; done
# ---- end install ----

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
ifneq ($(filter fuzz fuzz-build,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
endif
