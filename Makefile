# opsledger - plain Makefile + pkg-config (see ../shared/STYLE.md §6).
include pkgs.mk
CC       ?= cc
SAN      ?=
OPT      ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Werror -Wformat=2 -Wshadow \
            -Wno-missing-field-initializers -Isrc -Ibuild $(shell pkg-config --cflags $(PKGS)) $(SAN)
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lpthread -lm
LDFLAGS  += $(SAN)
BUILD    := build

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/core/*.c src/records/*.c src/auth/*.c \
            src/modules/*.c src/api/*.c src/cli/*.c src/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/migrations.o
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all clean test unit api check bench torture fuzz web
all: opsledger web/dist/index.html

# The browser UI (web/): rebuilt into web/dist when its sources or lock change.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.js \
           web/package.json web/package-lock.json
web/dist/index.html: $(WEB_SRC) scripts/build-web.sh
	sh scripts/build-web.sh
web: web/dist/index.html

opsledger: $(LIB_OBJ) $(BUILD)/main.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*/*.h) | $(BUILD)/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Migrations are embedded in the binary so a deployed server needs no extra files.
$(BUILD)/migrations.c: scripts/embed-migrations.sh $(wildcard migrations/*/*.sql)
	@mkdir -p $(BUILD)
	sh scripts/embed-migrations.sh migrations > $@
$(BUILD)/migrations.o: $(BUILD)/migrations.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

api: opsledger
	node --test --test-concurrency=1 tests/api/

# The whole suite: unit and black-box API tests on SQLite, then on a throw-away PostgreSQL.
# It installs what it needs first (scripts/install-deps.sh is quick when all is there).
test:
	sh scripts/test-all.sh

check:
	$(MAKE) clean
	$(MAKE) SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" OPT="-O1 -g -Wno-format-truncation" test
	$(MAKE) clean
	$(MAKE)

# Benchmarks over HTTP, side by side with the ceiling and the peer; appends to bench/RESULTS.md.
bench: opsledger
	bash bench/run.sh

# The long durability and robustness runs (make test runs the short ones).
torture: opsledger
	OPSLEDGER_TORTURE=1 node --test --test-concurrency=1 tests/torture/

# libFuzzer targets (clang, ASan+UBSan); FUZZ_SECONDS per target, corpus in tests/fuzz/corpus.
FUZZ_SECONDS ?= 300
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) opsledger
