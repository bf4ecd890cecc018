/* core/err.c - lookups over the OL_ERR_MAP table. */
#include "core/err.h"

static const struct {
    const char *name, *msg;
    int status;
} table[] = {
    {"OK", "ok", 200},
#define XX(name, status, msg) {#name, msg, status},
    OL_ERR_MAP(XX)
#undef XX
};

static int idx(int rc)
{
    int i = rc < 0 ? -rc : rc;
    return i < OL_E__COUNT ? i : OL_EINTERNAL;
}

const char *ol_err_name(int rc) { return table[idx(rc)].name; }
const char *ol_strerror(int rc) { return table[idx(rc)].msg; }
int ol_err_http_status(int rc) { return table[idx(rc)].status; }
