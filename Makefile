# nmtc — build, test, demo, bench.
#   make            build every tool into bin/
#   make test       unit + CLI tests, ends with "N passed, M failed"
#   make test-san   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       train on the embedded corpus, translate, score, dump attention
#   make bench      throughput figures (bench/results.json)
#   make fuzz       build the libFuzzer targets with clang and run each SECONDS seconds (default 60)
CC := gcc
SAN ?= 0
ifeq ($(SAN),1)
BUILD := build-san
BIN := build-san/bin
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD := build
BIN := bin
OPT := -O2 -march=native -g
endif
CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -Isrc $(OPT) -MMD -MP
LDLIBS := -ldnnl -lopenblas -lutf8proc -lm
LDFLAGS += -fopenmp
# Open MPI (only src/core/dist.c includes mpi.h). Expanded when a recipe runs,
# that is after scripts/deps.sh has installed the packages.
MPI_CFLAGS = $(shell mpicc --showme:compile)
MPI_LIBS = $(shell mpicc --showme:link)

LIB_SRC := $(sort $(shell find src -name '*.c'))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOLS := $(TOOL_SRC:tools/%.c=$(BIN)/%)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK := $(BUILD)/.deps-ok

.SECONDARY:
.PHONY: all test test-san demo bench clean deps fuzz fuzz-build
all: $(BUILD)/libnmt.a $(TOOLS)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@mkdir -p $(BUILD)
	@CC=$(CC) sh scripts/deps.sh
	@touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@
$(BUILD)/src/core/dist.o: EXTRA_CFLAGS = $(MPI_CFLAGS)

$(BUILD)/libnmt.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: $(BUILD)/tools/%.o $(BUILD)/libnmt.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libnmt.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

# NMT_SAN tells the tests which suite runs them (tests/cli/test_compat.sh skips under SAN=1).
test: $(TOOLS) $(TESTS)
	@NMT_SAN=$(SAN) bash tests/run.sh $(BUILD) $(BIN)

test-san:
	@$(MAKE) --no-print-directory SAN=1 test

demo: $(TOOLS)
	@bash corpora/toy/demo.sh $(BIN)

bench: $(TOOLS) $(BUILD)/bench/nmt-bench
	@bash bench/run.sh $(BUILD) $(BIN)

$(BUILD)/bench/nmt-bench: $(BUILD)/bench/nmt-bench.o $(BUILD)/libnmt.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

# Fuzzing: the library again, built by clang with ASan + UBSan and the
# libFuzzer instrumentation, linked into one binary per tests/fuzz/fuzz_*.c.
FUZZ_BUILD := build-fuzz
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -Isrc -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Wno-pass-failed -MMD -MP
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
SECONDS ?= 60

$(FUZZ_BUILD)/.deps-ok:
	@mkdir -p $(FUZZ_BUILD)
	@FUZZ=1 CC=$(FUZZ_CC) sh scripts/deps.sh
	@touch $@

$(FUZZ_BUILD)/%.o: %.c | $(FUZZ_BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libnmt.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libnmt.a
	$(FUZZ_CC) -fopenmp -fsanitize=fuzzer,address,undefined $^ -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(SECONDS)

clean:
	rm -rf build build-san build-fuzz bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
ifneq ($(filter fuzz fuzz-build,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
endif
