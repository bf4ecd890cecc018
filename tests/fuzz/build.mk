# tests/fuzz/build.mk - builds the libFuzzer targets (clang, ASan+UBSan) into tests/fuzz/build/.
# Run from the repository root by tests/fuzz/run.sh: make -f tests/fuzz/build.mk -j N. Its
# variables are FZ_-prefixed so that what a parent make passes down (CFLAGS, SAN) cannot reach them.
# COV=1 builds instead, into tests/fuzz/build/cov/, targets with source-based coverage and no
# sanitizers, for tests/fuzz/coverage.sh.
include pkgs.mk
FZ_PKGS := $(PKGS)
CC      := clang
ifeq ($(COV),1)
FZ_B    := tests/fuzz/build/cov
FZ_SAN  := -fprofile-instr-generate -fcoverage-mapping
else
FZ_B    := tests/fuzz/build
FZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
FZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(FZ_SAN) -Isrc -Ibuild $(shell pkg-config --cflags $(FZ_PKGS))
FZ_LIBS := $(shell pkg-config --libs $(FZ_PKGS)) -lpthread -lm

# Every project source but main.c, plus the embedded migrations (generated here, not in build/,
# so a concurrent `make clean` of the main build cannot pull it away mid-run).
FZ_SRC  := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
FZ_OBJ  := $(patsubst src/%.c,$(FZ_B)/obj/%.o,$(FZ_SRC)) $(FZ_B)/obj/migrations.o
FZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FZ_B)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all
all: $(FZ_TARGETS)

# The project's code gets coverage instrumentation; its warnings belong to the main build.
$(FZ_B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FZ_CFLAGS) -fsanitize=fuzzer-no-link -w -MMD -MP -c -o $@ $<

$(FZ_B)/migrations.c: scripts/embed-migrations.sh $(wildcard migrations/*/*.sql)
	@mkdir -p $(FZ_B)
	sh scripts/embed-migrations.sh migrations > $@.tmp && mv $@.tmp $@

$(FZ_B)/obj/migrations.o: $(FZ_B)/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(FZ_CFLAGS) -fsanitize=fuzzer-no-link -w -c -o $@ $<

$(FZ_B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FZ_OBJ)
	$(CC) $(FZ_CFLAGS) -fsanitize=fuzzer -Wall -Wextra -Werror -Wno-missing-field-initializers -o $@ $< $(FZ_OBJ) $(FZ_LIBS)

-include $(FZ_OBJ:.o=.d)
