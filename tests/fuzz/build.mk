# tests/fuzz/build.mk - builds the libFuzzer targets (clang, ASan+UBSan) into tests/fuzz/build/.
# Run from the repository root by tests/fuzz/run.sh: make -f tests/fuzz/build.mk -j N.
# COV=1 builds instead, into tests/fuzz/build/cov/, targets with source-based coverage and no
# sanitizers, for tests/fuzz/coverage.sh.
PKGS    := libmicrohttpd jansson sqlite3 libpq libsodium libcurl
CC      := clang
ifeq ($(COV),1)
B       := tests/fuzz/build/cov
SAN     := -fprofile-instr-generate -fcoverage-mapping
else
B       := tests/fuzz/build
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 $(SAN) -Isrc -Ibuild $(shell pkg-config --cflags $(PKGS))
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

# Every project source but main.c, plus the embedded migrations (generated here, not in build/,
# so a concurrent `make clean` of the main build cannot pull it away mid-run).
SRC     := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
OBJ     := $(patsubst src/%.c,$(B)/obj/%.o,$(SRC)) $(B)/obj/migrations.o
TARGETS := $(patsubst tests/fuzz/%.c,$(B)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all
all: $(TARGETS)

# The project's code gets coverage instrumentation; its warnings belong to the main build.
$(B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -w -MMD -MP -c -o $@ $<

$(B)/migrations.c: scripts/embed-migrations.sh $(wildcard migrations/*/*.sql)
	@mkdir -p $(B)
	sh scripts/embed-migrations.sh migrations > $@.tmp && mv $@.tmp $@

$(B)/obj/migrations.o: $(B)/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -w -c -o $@ $<

$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(OBJ)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Wall -Wextra -Werror -o $@ $< $(OBJ) $(LDLIBS)

-include $(OBJ:.o=.d)
