# nmtc — build, test, demo, bench.
#   make            build every tool into bin/
#   make test       unit + CLI tests, ends with "N passed, M failed"
#   make test-san   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       train on the embedded corpus, translate, score, dump attention
#   make bench      throughput figures (bench/results.json)
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
LDLIBS := -lopenblas -lutf8proc -lm
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
.PHONY: all test test-san demo bench clean deps
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

clean:
	rm -rf build build-san bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
