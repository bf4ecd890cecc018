/* tests/fuzz/fuzz_config.c - the settings parser: a config file, then command-line flags.
 *
 * Input: the file's text, optionally followed by a NUL byte and command-line arguments, one a
 * line ("--threads\n16\n--data=/srv\nserve"). The file is written to a temporary path that is
 * always passed last as --config, so an argument cannot point the parser at another file. The
 * result is checked and printed (to /dev/null) as `opsledger config check` would. */
#include <unistd.h>

#include "core/config.h"
#include "fuzz.h"

#define MAX_ARGS 32
#define NSLOTS (sizeof(ol_config_t) / sizeof(const char *))

static char path[256];
static ol_config_t defaults;

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_common();
    /* The environment sits between the file and the flags: keep the fuzzer's own out. */
    const char *const vars[] = {
#define XX(key, def, desc) #key,
        OL_CONFIG_MAP(XX)
#undef XX
    };
    for (size_t k = 0; k < sizeof vars / sizeof vars[0]; k++) {
        char var[80] = "OPSLEDGER_";
        for (size_t i = 0; vars[k][i] && i < 60; i++)
            var[10 + i] = (char)(vars[k][i] >= 'a' && vars[k][i] <= 'z' ? vars[k][i] - 32
                                                                          : vars[k][i]);
        unsetenv(var);
    }
    unsetenv("OPSLEDGER_CONFIG");
    if (!freopen("/dev/null", "w", stdout))
        abort();
    /* Rewritten for every input: fuzz_tmpdir() prefers memory-backed storage. */
    snprintf(path, sizeof path, "%s/ol-fuzz-config-%d.conf", fuzz_tmpdir(), (int)getpid());
    atexit(remove_file);

    /* The defaults, to tell them from values the parser allocated. */
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fclose(f);
    char a0[] = "opsledger", a1[] = "--config", *av[] = {a0, a1, path, NULL};
    int ac = 3;
    char err[256];
    if (ol_config_load(&defaults, &ac, av, err, sizeof err))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t flen = nul ? (size_t)(nul - data) : size;
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (flen && fwrite(data, 1, flen, f) != flen)
        abort();
    fclose(f);

    /* argv: the program name, the fuzzed arguments, then --config PATH. All the strings live
     * in one buffer, so values that point into argv can be told from allocated ones. */
    size_t alen = nul ? size - flen - 1 : 0;
    size_t cap = alen + 32 + strlen(path);
    char *abuf = malloc(cap);
    if (!abuf)
        abort();
    char *argv[MAX_ARGS + 4];
    int argc = 0;
    char *p = abuf;
    memcpy(p, "opsledger", 10);
    argv[argc++] = p;
    p += 10;
    if (nul) {
        memcpy(p, nul + 1, alen);
        p[alen] = 0;
        char *end = p + alen;
        while (p <= end && argc < MAX_ARGS) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl)
                *nl = 0;
            argv[argc++] = p;
            p = nl ? nl + 1 : end + 1;
        }
    }
    p = abuf + 10 + alen + 1;
    memcpy(p, "--config", 9);
    argv[argc++] = p;
    p += 9;
    memcpy(p, path, strlen(path) + 1);
    argv[argc++] = p;
    argv[argc] = NULL;
    int argc0 = argc;

    ol_config_t cfg;
    char err[256] = "";
    int rc = ol_config_load(&cfg, &argc, argv, err, sizeof err);
    const char *const *slots = (const char *const *)&cfg;
    if (rc == 0) {
        FUZZ_CHECK(argc >= 1 && argc <= argc0 && argv[argc] == NULL, "argc %d of %d", argc,
                   argc0);
        for (size_t k = 0; k < NSLOTS; k++)
            FUZZ_CHECK(slots[k] != NULL, "setting %zu is NULL", k);
        char cerr[256] = "";
        if (ol_config_check(&cfg, cerr, sizeof cerr))
            FUZZ_CHECK(cerr[0], "config check failed without a message");
        ol_config_print(&cfg);
        FUZZ_CHECK(ol_config_db_url(&cfg) != NULL, "no database URL");
    } else {
        FUZZ_CHECK(rc == -1 && err[0], "load failed (rc %d) without a message", rc);
    }
    /* Release what the parser allocated: neither a default nor a pointer into argv. The server
     * keeps these for its lifetime; the fuzzer loads thousands of times. */
    for (size_t k = 0; k < NSLOTS; k++) {
        const char *v = slots[k], *dv = ((const char *const *)&defaults)[k];
        if (v && v != dv && !(v >= abuf && v < abuf + cap))
            free((void *)v);
    }
    free(abuf);
    return 0;
}
