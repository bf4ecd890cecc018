/* core/tls.h - the certificate and key of native HTTPS (S9), checked before the server starts. */
#ifndef OL_TLS_H
#define OL_TLS_H
#include <stddef.h>

/* GnuTLS priorities for the lowest protocol version allowed: "1.2" or "1.3"; NULL otherwise. */
const char *ol_tls_priorities(const char *min_version);

/* Reads the PEM certificate (chain) and private key. Refuses, with the reason in err: a file
 * that cannot be read, a key file that its group or others may access (the key must be mode
 * 0600 or 0400), a key or certificate that GnuTLS cannot parse, or a key that does not belong
 * to the certificate. On success *cert and *key are NUL-terminated (caller frees; wipe the key
 * before freeing) and 0 is returned; -1 otherwise. */
int ol_tls_load(const char *cert_path, const char *key_path, char **cert, char **key, char *err,
                size_t errlen);

#endif
