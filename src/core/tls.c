/* core/tls.c - the certificate and key of native HTTPS (S9), checked before the server starts. */
#include "core/tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"

#define MAX_PEM (1 << 20)

const char *ol_tls_priorities(const char *min_version)
{
    if (!strcmp(min_version, "1.2"))
        return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
    if (!strcmp(min_version, "1.3"))
        return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
    return NULL;
}

static char *read_pem(const char *what, const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s %s cannot be read: %s", what, path, strerror(errno));
        return NULL;
    }
    char *buf = ol_xmalloc(MAX_PEM + 1);
    *len = fread(buf, 1, MAX_PEM + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *len == 0 || *len > MAX_PEM) {
        snprintf(err, errlen, "%s %s is %s", what, path,
                 bad ? "unreadable" : *len ? "larger than 1 MiB" : "empty");
        free(buf);
        return NULL;
    }
    buf[*len] = 0;
    return buf;
}

int ol_tls_load(const char *cert_path, const char *key_path, char **cert, char **key, char *err,
                size_t errlen)
{
    *cert = *key = NULL;
    struct stat st;
    if (stat(key_path, &st)) {
        snprintf(err, errlen, "tls_key %s cannot be read: %s", key_path, strerror(errno));
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "tls_key %s may be read by its group or others (mode %04o): "
                 "run chmod 600 %s", key_path, (unsigned)(st.st_mode & 07777), key_path);
        return -1;
    }
    size_t clen, klen;
    char *c = read_pem("tls_cert", cert_path, &clen, err, errlen);
    char *k = c ? read_pem("tls_key", key_path, &klen, err, errlen) : NULL;
    if (!k) {
        free(c);
        return -1;
    }
    /* Let GnuTLS parse both and match the key to the certificate, as MHD will. */
    gnutls_certificate_credentials_t cred;
    int rc = gnutls_certificate_allocate_credentials(&cred);
    if (rc == GNUTLS_E_SUCCESS) {
        gnutls_datum_t cd = {(unsigned char *)c, (unsigned)clen};
        gnutls_datum_t kd = {(unsigned char *)k, (unsigned)klen};
        rc = gnutls_certificate_set_x509_key_mem(cred, &cd, &kd, GNUTLS_X509_FMT_PEM);
        gnutls_certificate_free_credentials(cred);
    }
    if (rc < 0) {
        snprintf(err, errlen, "tls_cert %s and tls_key %s are not a usable PEM certificate and "
                 "unencrypted private key that belong together: %s", cert_path, key_path,
                 gnutls_strerror(rc));
        memset(k, 0, klen);
        free(k);
        free(c);
        return -1;
    }
    *cert = c;
    *key = k;
    return 0;
}
