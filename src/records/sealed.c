/* records/sealed.c - S7 values sealed in columns of their own (see sealed.h). */
#include "records/sealed.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/mfa_seal.h"
#include "core/err.h"
#include "core/fieldcrypt.h"

const ol_sealed_col_t ol_sealed_cols[] = {
    /* S3 TOTP secrets (auth/mfa_seal.c); "s1:" ones were sealed under mfa_key_file. */
    {"user_mfa", "user_id", "secret_enc", 1, "s1:", ol_mfa_legacy_text},
    /* S4/S7 a user's phone number (auth/account.c); the row id is unknown before the insert. */
    {"users", "id", "phone", 0, NULL, NULL},
    /* P7 webhook signing secrets and SMTP passwords (records/notify_channel.c). */
    {"notification_channels", "id", "secret_enc", 1, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const ol_sealed_col_t *ol_sealed_col(const char *table, const char *column)
{
    for (const ol_sealed_col_t *c = ol_sealed_cols; c->table; c++)
        if (!strcmp(c->table, table) && !strcmp(c->column, column))
            return c;
    return NULL;
}

size_t ol_sealed_ad(const ol_sealed_col_t *col, long long row, char *ad, size_t len)
{
    int n = col->bind_row ? snprintf(ad, len, "%s.%s\x1f%lld", col->table, col->column, row)
                          : snprintf(ad, len, "%s.%s", col->table, col->column);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

char *ol_seal_text(const char *table, const char *column, long long row, const char *plain)
{
    const ol_sealed_col_t *col = ol_sealed_col(table, column);
    char ad[160];
    if (!col)
        return NULL;
    size_t n = ol_sealed_ad(col, row, ad, sizeof ad);
    return ol_fcrypt_seal(plain, ad, n);
}

int ol_open_text(const char *table, const char *column, long long row, const char *sealed,
                 char **plain)
{
    const ol_sealed_col_t *col = ol_sealed_col(table, column);
    char ad[160];
    *plain = NULL;
    if (!col)
        return -OL_EINVAL;
    size_t n = ol_sealed_ad(col, row, ad, sizeof ad);
    return ol_fcrypt_open(sealed, ad, n, plain);
}

void ol_sealed_free(char *plain)
{
    if (plain) {
        sodium_memzero(plain, strlen(plain));
        free(plain);
    }
}
