/* core/config.h - settings from defaults, a config file, OPSLEDGER_* environment variables and
 * command-line flags, in that order of precedence (lowest first). */
#ifndef OL_CONFIG_H
#define OL_CONFIG_H
#include <stddef.h>

/* XX(key, default, description). Each key is also the flag --key and the variable
 * OPSLEDGER_KEY (upper case, '-' and '.' as '_'). */
#define OL_CONFIG_MAP(XX)                                                                    \
    XX(listen, "127.0.0.1:8080", "address:port the HTTP server listens on")                  \
    XX(db, "sqlite:./data/opsledger.db", "sqlite:PATH or postgresql://user@host/db")          \
    XX(data, "", "data directory; when set, db defaults to sqlite:DATA/opsledger.db")        \
    XX(threads, "4", "HTTP worker threads")                                                  \
    XX(db_readers, "8", "database reader connections (SQLite) or pool size (PostgreSQL)")    \
    XX(sync, "full", "SQLite durability: full (fsync every commit) or normal")               \
    XX(max_body, "1048576", "largest request body in bytes (413 above)")                     \
    XX(max_header, "32768", "connection memory for request headers in bytes (431 above)")    \
    XX(max_json_depth, "32", "deepest JSON nesting accepted (400 above)")                    \
    XX(request_timeout, "30", "seconds an idle or slow connection is kept")                  \
    XX(max_connections, "16384", "concurrent client connections (more wait to be accepted)") \
    XX(startup_check, "quick", "integrity check at start: quick, full or none")              \
    XX(session_hours, "8", "hours a browser session lasts")                                  \
    XX(password_min_length, "8", "S1: minimum password length")                              \
    XX(password_min_length_privileged, "12", "S1: minimum length for administrators")        \
    XX(public_url, "", "URL users reach the server at (printed by init)")                    \
    XX(tls, "off", "on when a TLS-terminating proxy is in front: cookies get Secure, HSTS")  \
    XX(log_level, "info", "debug, info, warn or error")

typedef struct {
#define XX(key, def, desc) const char *key;
    OL_CONFIG_MAP(XX)
#undef XX
} ol_config_t;

/* Fills cfg from defaults, then the file named by --config / OPSLEDGER_CONFIG (if any), the
 * environment and argv (flags are removed from argv; *argc is updated). Returns 0 or -1 with a
 * message in err. Strings are owned by the process (never freed). */
int ol_config_load(ol_config_t *cfg, int *argc, char **argv, char *err, size_t errlen);
/* Validates values and their ranges; returns 0 or -1 with a message. */
int ol_config_check(const ol_config_t *cfg, char *err, size_t errlen);
/* Prints "key = value" lines, for `opsledger config check`. */
void ol_config_print(const ol_config_t *cfg);
/* The effective database URL (db, or sqlite:DATA/opsledger.db when only data was set). */
const char *ol_config_db_url(const ol_config_t *cfg);
long ol_config_int(const char *value);

#endif
