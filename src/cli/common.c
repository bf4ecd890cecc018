/* cli/common.c - helpers the subcommands share: opening the database, reading secrets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "records/ctx.h"

const char *ol_cli_flag(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) || strncmp(argv[i] + 2, name, n))
            continue;
        if (argv[i][2 + n] == '=')
            return argv[i] + 3 + n;
        if (argv[i][2 + n] == 0 && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

int ol_cli_has(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, name))
            return 1;
    return 0;
}

void ol_cli_apply_policy(const ol_config_t *cfg)
{
    ol_auth_policy.min_length = (int)ol_config_int(cfg->password_min_length);
    ol_auth_policy.min_length_privileged = (int)ol_config_int(cfg->password_min_length_privileged);
    ol_auth_policy.session_hours = (int)ol_config_int(cfg->session_hours);
}

int ol_cli_open_db(const ol_config_t *cfg, ol_db_t **db)
{
    char err[512];
    if (ol_config_check(cfg, err, sizeof err)) {
        fprintf(stderr, "opsledger: configuration: %s\n", err);
        return 2;
    }
    ol_cli_apply_policy(cfg);
    ol_db_opts_t o;
    ol_db_opts_default(&o);
    o.readers = (int)ol_config_int(cfg->db_readers);
    o.synchronous_full = strcmp(cfg->sync, "full") == 0;
    o.check_wal = strcmp(cfg->startup_check, "none") != 0;
    o.mmap_bytes = ol_config_int(cfg->db_sqlite_mmap_mb) * 1024 * 1024;
    if (ol_db_open(ol_config_db_url(cfg), &o, db, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s\n", err);
        return 1;
    }
    return 0;
}

static char *prompt_once(const char *prompt)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return NULL;
    struct termios old, noecho;
    int fd = fileno(tty);
    tcgetattr(fd, &old);
    noecho = old;
    noecho.c_lflag &= (tcflag_t)~ECHO;
    fprintf(tty, "%s", prompt);
    fflush(tty);
    tcsetattr(fd, TCSAFLUSH, &noecho);
    char buf[1100];
    char *ok = fgets(buf, sizeof buf, tty);
    tcsetattr(fd, TCSAFLUSH, &old);
    fprintf(tty, "\n");
    fclose(tty);
    if (!ok)
        return NULL;
    buf[strcspn(buf, "\r\n")] = 0;
    return ol_xstrdup(buf);
}

char *ol_cli_read_secret(const char *file, const char *env, const char *prompt, int confirm)
{
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f) {
            fprintf(stderr, "opsledger: cannot read %s: %s\n", file, strerror(errno));
            return NULL;
        }
        char buf[1100] = "";
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\r\n")] = 0;
        return ol_xstrdup(buf);
    }
    const char *v = env ? getenv(env) : NULL;
    if (v && *v)
        return ol_xstrdup(v);
    if (!isatty(STDIN_FILENO))
        return NULL;
    char *a = prompt_once(prompt);
    if (a && confirm) {
        char *b = prompt_once("Repeat: ");
        if (!b || strcmp(a, b)) {
            fprintf(stderr, "opsledger: the two entries differ\n");
            free(a);
            a = NULL;
        }
        free(b);
    }
    return a;
}

void ol_cli_print_failure(const ol_ctx_t *c, int rc, const char *what)
{
    fprintf(stderr, "opsledger: cannot %s: %s\n", what, c->detail[0] ? c->detail : ol_strerror(rc));
    size_t i;
    json_t *e;
    json_array_foreach(c->errors, i, e)
        fprintf(stderr, "  %s: %s\n", json_string_value(json_object_get(e, "field")),
                json_string_value(json_object_get(e, "message")));
}
