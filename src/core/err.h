/* core/err.h - the one error table: codes, names, messages and HTTP statuses (STYLE §6). */
#ifndef OL_ERR_H
#define OL_ERR_H

/* XX(name, http status, default message). Functions return 0 or -OL_E<name>. */
#define OL_ERR_MAP(XX)                                                                 \
    XX(INVAL, 400, "invalid request")                                                  \
    XX(UNAUTH, 401, "authentication required")                                         \
    XX(FORBIDDEN, 403, "permission denied")                                            \
    XX(NOTFOUND, 404, "not found")                                                     \
    XX(METHOD, 405, "method not allowed")                                              \
    XX(CONFLICT, 409, "conflict")                                                      \
    XX(PRECONDITION, 412, "the record changed since you read it")                      \
    XX(TOOBIG, 413, "request body too large")                                          \
    XX(MEDIATYPE, 415, "unsupported media type")                                       \
    XX(STATE, 422, "transition not allowed in the current state")                      \
    XX(PRECONDREQ, 428, "If-Match header required")                                    \
    XX(INTERNAL, 500, "internal error")                                                \
    XX(UNAVAILABLE, 503, "service unavailable")                                        \
    XX(NOSPACE, 507, "the disk holding the database is full; nothing was written")     \
    XX(DAMAGED, 500, "database damaged")                                               \
    XX(TOONEW, 500, "database schema is newer than this server")

typedef enum {
    OL_OK = 0,
#define XX(name, status, msg) OL_E##name,
    OL_ERR_MAP(XX)
#undef XX
    OL_E__COUNT
} ol_err_t;

const char *ol_err_name(int rc);     /* "NOTFOUND" for -OL_ENOTFOUND */
const char *ol_strerror(int rc);     /* the default message */
int ol_err_http_status(int rc);      /* 404 for -OL_ENOTFOUND; 200 for 0 */

#endif
