/* tests/unit/test_mfa.c - S3: TOTP against the RFC 6238 vectors, base32 (RFC 4648 vectors),
 * otpauth URI escaping, recovery codes, the QR SVG (decoded back and compared with libqrencode's
 * matrix), sealed secrets (S7 field keys, bound to the user; the old "s1:" form still opens),
 * and on a SQLite store: enrolment, replay refusal and single-use
 * recovery codes.
 *
 * mfa-1.* need no database, mfa-2.* the sealing key file, mfa-3.* a migrated SQLite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/mfa.h"
#include "auth/mfa_seal.h"
#include "auth/qr_svg.h"
#include "auth/totp.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/fieldcrypt.h"
#include "records/keys.h"

static char tmpdir[64];

/* ---- mfa-1: pure functions ------------------------------------------------------------------- */

static const unsigned char rfc_secret[] = "12345678901234567890"; /* RFC 6238 appendix B, SHA-1 */

static void mfa_1_1_totp_rfc6238_vectors(void **state)
{
    (void)state;
    static const struct {
        time_t t;
        const char *code; /* the last 6 of the RFC's 8 digits */
    } v[] = {{59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
             {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[8];
        long long step = -1;
        assert_int_equal(ol_totp_code(rfc_secret, 20, v[i].t, out), 0);
        assert_string_equal(out, v[i].code);
        assert_int_equal(ol_totp_verify(rfc_secret, 20, v[i].t, 0, v[i].code, &step), 0);
        assert_int_equal(step, v[i].t / 30);
    }
}

static void mfa_1_2_totp_window_and_malformed_codes(void **state)
{
    (void)state;
    long long step = 0;
    /* The code of step 1 (t = 59) a step later: only with a window. */
    assert_int_equal(ol_totp_verify(rfc_secret, 20, 89, 0, "287082", &step), -1);
    assert_int_equal(ol_totp_verify(rfc_secret, 20, 89, 1, "287082", &step), 0);
    assert_int_equal(step, 1);
    assert_int_equal(ol_totp_verify(rfc_secret, 20, 29, 1, "287082", &step), 0);
    assert_int_equal(ol_totp_verify(rfc_secret, 20, 119, 1, "287082", &step), -1);
    const char *bad[] = {NULL, "", "28708", "2870821", "28708a", " 87082", "+87082"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ol_totp_verify(rfc_secret, 20, 59, 1, bad[i], &step), -1);
}

static void mfa_1_3_base32_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const v[][2] = {{"", ""},           {"f", "MY"},
                                       {"fo", "MZXQ"},     {"foo", "MZXW6"},
                                       {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"},
                                       {"foobar", "MZXW6YTBOI"}};
    char out[32];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(ol_base32_encode((const unsigned char *)v[i][0], strlen(v[i][0]), out,
                                          sizeof out), 0);
        assert_string_equal(out, v[i][1]);
    }
    assert_int_equal(ol_base32_encode(rfc_secret, 20, out, 32), -1); /* 32 + NUL needed */
    char full[33];
    assert_int_equal(ol_base32_encode(rfc_secret, 20, full, sizeof full), 0);
    assert_string_equal(full, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void mfa_1_4_otpauth_uri_escaping(void **state)
{
    (void)state;
    char uri[256];
    assert_int_equal(ol_totp_uri("Acme Co:IT", "li.na@corp", "ABC", uri, sizeof uri), 0);
    assert_string_equal(uri, "otpauth://totp/Acme%20Co%3AIT:li.na%40corp?secret=ABC&issuer="
                             "Acme%20Co%3AIT&algorithm=SHA1&digits=6&period=30");
    assert_int_equal(ol_totp_uri("运维", "a&b=c", "ABC", uri, sizeof uri), 0);
    assert_string_equal(uri, "otpauth://totp/%E8%BF%90%E7%BB%B4:a%26b%3Dc?secret=ABC&issuer="
                             "%E8%BF%90%E7%BB%B4&algorithm=SHA1&digits=6&period=30");
    for (size_t n = 1; n < strlen("otpauth://totp/x:y?secret=ABC&issuer=x&algorithm=SHA1&digits=6"
                                  "&period=30") + 1; n++)
        assert_int_equal(ol_totp_uri("x", "y", "ABC", uri, n), -1);
}

static void mfa_1_5_recovery_codes(void **state)
{
    (void)state;
    char a[OL_RECOVERY_LEN + 1], b[OL_RECOVERY_LEN + 1], norm[17];
    ol_recovery_code_new(a);
    ol_recovery_code_new(b);
    assert_int_equal(strlen(a), OL_RECOVERY_LEN);
    assert_string_not_equal(a, b);
    for (int i = 0; i < OL_RECOVERY_LEN; i++)
        assert_true(i % 5 == 4 ? a[i] == '-' : strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]) != NULL);
    assert_int_equal(ol_recovery_code_norm(" ABCD-efgh ijkl-MNOP ", norm), 0);
    assert_string_equal(norm, "abcdefghijklmnop");
    assert_int_equal(ol_recovery_code_norm("abcd-efgh-ijkl-mno", norm), -1);
    assert_int_equal(ol_recovery_code_norm("abcd-efgh-ijkl-mnopq", norm), -1);
    assert_int_equal(ol_recovery_code_norm("abcd-efgh-ijkl-mno1", norm), -1); /* 1 is not base32 */
    assert_int_equal(ol_recovery_code_norm("", norm), -1);
}

/* Draws the SVG's path back into a width x width grid; returns 0 when it is well formed. */
static int decode_svg(const char *svg, int width, unsigned char *grid)
{
    int size = 0, size2 = 0, n = 0;
    if (sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"%n", &size,
               &size2, &n) != 2 || size != width + 8 || size2 != size)
        return -1;
    const char *d = strstr(svg, "<path fill=\"#000\" d=\"");
    if (!d || strstr(d + 1, "<path"))
        return -1;
    d += strlen("<path fill=\"#000\" d=\"");
    while (*d == 'M') {
        int x, y, run, back, used;
        if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &used) != 4 || run != back ||
            run < 1 || x < 4 || y < 4 || x - 4 + run > width || y - 4 >= width)
            return -1;
        for (int i = 0; i < run; i++)
            grid[(y - 4) * width + x - 4 + i] = 1;
        d += used;
    }
    return strcmp(d, "\"/></svg>") == 0 ? 0 : -1;
}

static void mfa_1_6_qr_svg_matches_the_matrix(void **state)
{
    (void)state;
    const char *uri = "otpauth://totp/opsledger:admin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                      "&issuer=opsledger&algorithm=SHA1&digits=6&period=30";
    char *svg = ol_qr_svg(uri);
    assert_non_null(svg);
    QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    unsigned char *grid = calloc((size_t)qr->width * qr->width, 1);
    assert_int_equal(decode_svg(svg, qr->width, grid), 0);
    int dark = 0;
    for (int i = 0; i < qr->width * qr->width; i++) {
        assert_int_equal(grid[i], qr->data[i] & 1);
        dark += grid[i];
    }
    assert_true(dark > qr->width * qr->width / 4);
    free(grid);
    QRcode_free(qr);
    free(svg);
    /* Text beyond the largest QR code: NULL, not a broken image. */
    char *huge = calloc(8000, 1);
    memset(huge, 'x', 7999);
    assert_null(ol_qr_svg(huge));
    free(huge);
}

/* ---- mfa-2: sealing ------------------------------------------------------------------------- */

static ol_db_t *open_store(const char *dir, int migrate)
{
    char url[160], err[512];
    int version;
    ol_db_t *db;
    mkdir(dir, 0700);
    snprintf(url, sizeof url, "sqlite:%s/opsledger.db", dir);
    assert_int_equal(ol_db_open(url, NULL, &db, err, sizeof err), 0);
    if (migrate)
        assert_int_equal(ol_db_migrate(db, &version, err, sizeof err), 0);
    return db;
}

/* A secret in the form sealed before S7 ("s1:"): crypto_secretbox under a subkey of the master
 * key in mfa.key, which the test writes. */
static void legacy_seal(const char *dir, char *out, size_t outlen)
{
    static const char hex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    unsigned char master[crypto_kdf_KEYBYTES], key[crypto_secretbox_KEYBYTES];
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 20];
    char path[160];
    snprintf(path, sizeof path, "%s/mfa.key", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", hex);
    fclose(f);
    chmod(path, 0600);
    sodium_hex2bin(master, sizeof master, hex, 64, NULL, NULL, NULL);
    crypto_kdf_derive_from_key(key, sizeof key, 1, "ol_mfa__", master);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, rfc_secret, 20, box, key);
    strcpy(out, "s1:");
    sodium_bin2base64(out + 3, outlen - 3, box, sizeof box, sodium_base64_VARIANT_ORIGINAL);
}

static void mfa_2_1_seal_and_open(void **state)
{
    (void)state;
    char dir[96], key[128], sealed[160], err[256];
    unsigned char plain[64];
    size_t n = 0;
    snprintf(dir, sizeof dir, "%s/seal", tmpdir);
    ol_fkeys_close();
    ol_db_t *db = open_store(dir, 0);
    /* S7's field encryption: the key file is made beside the store, mode 0600. */
    assert_int_equal(ol_mfa_seal(db, 7, rfc_secret, 20, sealed, sizeof sealed, err, sizeof err), 0);
    assert_memory_equal(sealed, "enc:v1:k1:", 10);
    snprintf(key, sizeof key, "%s/keys/field.keys", dir);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(ol_mfa_open(db, 7, sealed, plain, sizeof plain, &n, err, sizeof err), 0);
    assert_int_equal(n, 20);
    assert_memory_equal(plain, rfc_secret, 20);
    /* Bound to its user: copied to another user's row, it does not open. */
    assert_int_equal(ol_mfa_open(db, 8, sealed, plain, sizeof plain, &n, err, sizeof err),
                     -OL_EDAMAGED);
    /* Two seals of one secret differ (random nonces). */
    char again[160];
    assert_int_equal(ol_mfa_seal(db, 7, rfc_secret, 20, again, sizeof again, err, sizeof err), 0);
    assert_string_not_equal(sealed, again);
    /* Another store without a key file: opening does not make one (that key is lost). */
    char other[96], other_key[128];
    snprintf(other, sizeof other, "%s/nokey", tmpdir);
    ol_fkeys_close();
    ol_db_t *db2 = open_store(other, 0);
    assert_int_equal(ol_mfa_open(db2, 7, sealed, plain, sizeof plain, &n, err, sizeof err),
                     -OL_EUNAVAILABLE);
    assert_non_null(strstr(err, "field.keys"));
    snprintf(other_key, sizeof other_key, "%s/keys/field.keys", other);
    assert_int_equal(stat(other_key, &st), -1);
    ol_db_close(db2);
    /* A secret sealed the old way still opens, with mfa.key. */
    char old[160];
    legacy_seal(dir, old, sizeof old);
    assert_int_equal(ol_mfa_open(db, 7, old, plain, sizeof plain, &n, err, sizeof err), 0);
    assert_int_equal(n, 20);
    assert_memory_equal(plain, rfc_secret, 20);
    /* Altered text does not open. */
    sealed[20] = sealed[20] == 'A' ? 'B' : 'A';
    assert_int_equal(ol_mfa_open(db, 7, sealed, plain, sizeof plain, &n, err, sizeof err),
                     -OL_EDAMAGED);
    assert_int_equal(ol_mfa_open(db, 7, "s1:###", plain, sizeof plain, &n, err, sizeof err),
                     -OL_EDAMAGED);
    assert_int_equal(ol_mfa_open(db, 7, "plain", plain, sizeof plain, &n, err, sizeof err),
                     -OL_EDAMAGED);
    assert_int_equal(ol_mfa_seal(db, 7, rfc_secret, 20, sealed, 20, err, sizeof err), -OL_EINVAL);
    ol_db_close(db);
}

static void mfa_2_2_key_file_readable_by_others_is_refused(void **state)
{
    (void)state;
    char dir[96], key[128], sealed[160], err[256];
    snprintf(dir, sizeof dir, "%s/loose", tmpdir);
    mkdir(dir, 0700);
    ol_fkeys_close();
    ol_db_t *db = open_store(dir, 0);
    assert_int_equal(ol_mfa_seal(db, 1, rfc_secret, 20, sealed, sizeof sealed, err, sizeof err), 0);
    ol_fkeys_close();
    snprintf(key, sizeof key, "%s/keys/field.keys", dir);
    chmod(key, 0644);
    assert_int_equal(ol_mfa_seal(db, 1, rfc_secret, 20, sealed, sizeof sealed, err, sizeof err),
                     -OL_EUNAVAILABLE);
    assert_non_null(strstr(err, "chmod 600"));
    chmod(key, 0600);
    assert_int_equal(ol_mfa_seal(db, 1, rfc_secret, 20, sealed, sizeof sealed, err, sizeof err), 0);
    ol_db_close(db);
}

typedef struct {
    const char *sql, *arg;
} exec_t;

static int run_insert(ol_conn_t *conn, void *arg)
{
    exec_t *e = arg;
    ol_val_t p[] = {OL_VTEXT(e->arg)};
    return ol_db_exec(conn, e->sql, p, 1, NULL);
}

static int read_secret(ol_conn_t *conn, void *arg)
{
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT secret_enc FROM user_mfa WHERE user_id = 1", NULL, 0, &r);
    if (rc == 0 && ol_rows_count(r) == 1)
        snprintf(arg, 160, "%s", ol_rows_get(r, 0, 0));
    if (rc == 0)
        ol_rows_free(r);
    return rc;
}

/* `keys rotate` re-seals secrets of the old form under the field keys, bound to their user. */
static void mfa_2_3_rotation_reseals_old_secrets(void **state)
{
    (void)state;
    static const char *const admin[] = {"admin", NULL}, *const none[] = {NULL};
    char dir[96], old[160], err[256];
    snprintf(dir, sizeof dir, "%s/rotate", tmpdir);
    ol_fkeys_close();
    ol_db_t *db = open_store(dir, 1);
    char path[160];
    snprintf(path, sizeof path, "%s/keys/field.keys", dir);
    assert_int_equal(ol_fkeys_open(path, 1, err, sizeof err), 0);
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", admin);
    assert_int_equal(ol_user_create(&c, "dave", "Dave", "Dav3-passw0rd!", none), 0);
    legacy_seal(dir, old, sizeof old);
    exec_t ins = {"INSERT INTO user_mfa(user_id, secret_enc, created_at) "
                             "VALUES (1, ?1, '2026-01-01T00:00:00Z')", old};
    assert_int_equal(ol_db_write(db, run_insert, &ins), 0);
    ol_keys_stats_t st;
    assert_int_equal(ol_keys_reencrypt(&c, 10, NULL, NULL, &st), 0);
    assert_int_equal(st.values, 1);
    char now_sealed[160] = "";
    assert_int_equal(ol_db_read(db, read_secret, now_sealed), 0);
    assert_memory_equal(now_sealed, "enc:v1:k1:", 10);
    unsigned char plain[64];
    size_t n = 0;
    assert_int_equal(ol_mfa_open(db, 1, now_sealed, plain, sizeof plain, &n, err, sizeof err), 0);
    assert_int_equal(n, 20);
    assert_memory_equal(plain, rfc_secret, 20);
    ol_ctx_clear(&c);
    ol_db_close(db);
}

/* ---- mfa-3: a store ----------------------------------------------------------------------- */

static const char *const admin_roles[] = {"admin", NULL};

/* The code of a base32 secret at time at. */
static void code_of(const char *b32, time_t at, char *out)
{
    char *raw;
    size_t n;
    assert_int_equal(oath_base32_decode(b32, strlen(b32), &raw, &n), OATH_OK);
    assert_int_equal(ol_totp_code((unsigned char *)raw, n, at, out), 0);
    free(raw);
}

static void mfa_3_1_enrol_confirm_replay_recovery(void **state)
{
    (void)state;
    char dir[96], secret[40], uri[640], code[8], user[65], token[96], csrf[96];
    snprintf(dir, sizeof dir, "%s/store", tmpdir);
    ol_fkeys_close(); /* the key file of this store */
    ol_db_t *db = open_store(dir, 1);
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", admin_roles);
    static const char *const none[] = {NULL};
    assert_int_equal(ol_user_create(&c, "carol", "Carol", "Car0l-passw0rd", none), 0);
    long long uid = 1; /* the first user of a fresh store */

    assert_int_equal(ol_mfa_enrol(&c, uid, "carol", secret, uri, sizeof uri), 0);
    assert_non_null(strstr(uri, secret));
    ol_recovery_code_t codes[OL_RECOVERY_CODES];
    /* A wrong first code is refused and changes nothing. */
    assert_int_equal(ol_mfa_confirm(&c, uid, "carol", "abcdef", NULL, codes), -OL_EINVAL);
    code_of(secret, ol_time(), code);
    assert_int_equal(ol_mfa_confirm(&c, uid, "carol", code, NULL, codes), 0);
    ol_mfa_status_t st;
    assert_int_equal(ol_mfa_status(&c, uid, &st), 0);
    assert_true(st.active);
    assert_int_equal(st.recovery_left, OL_RECOVERY_CODES);

    /* The code just used is refused at the next login (replay). */
    ol_mfa_login_t m = {.code = code};
    int verified = 0;
    assert_int_equal(ol_mfa_after_password(&c, uid, "carol", &m, &verified), -OL_EUNAUTH);
    assert_false(verified);

    /* Without a code: a pending login that a recovery code finishes once. */
    ol_mfa_login_t p = {0};
    assert_int_equal(ol_mfa_after_password(&c, uid, "carol", &p, &verified), 0);
    assert_true(p.pending);
    assert_false(p.enrol);
    assert_int_equal(ol_mfa_finish_login(&c, p.mfa_token, NULL, codes[3], user, token, csrf), 0);
    assert_string_equal(user, "carol");
    ol_principal_t who;
    ol_arena_t arena;
    ol_arena_init(&arena);
    assert_int_equal(ol_authenticate(db, NULL, token, &arena, &who), 0);
    assert_string_equal(who.username, "carol");
    /* The session proved a code just now: step-up passes. */
    assert_int_equal(ol_mfa_step_up_check(&c, &who), 0);
    ol_arena_clear(&arena);

    ol_mfa_login_t p2 = {0};
    assert_int_equal(ol_mfa_after_password(&c, uid, "carol", &p2, &verified), 0);
    assert_int_equal(ol_mfa_finish_login(&c, p2.mfa_token, NULL, codes[3], user, token, csrf),
                     -OL_EUNAUTH);
    assert_int_equal(ol_mfa_finish_login(&c, p2.mfa_token, NULL, codes[4], user, token, csrf), 0);
    /* The pending token was single-use. */
    assert_int_equal(ol_mfa_finish_login(&c, p2.mfa_token, NULL, codes[5], user, token, csrf),
                     -OL_EUNAUTH);
    assert_int_equal(ol_mfa_status(&c, uid, &st), 0);
    assert_int_equal(st.recovery_left, OL_RECOVERY_CODES - 2);

    /* An administrator reset removes the factor. */
    assert_int_equal(ol_mfa_reset(&c, "carol"), 0);
    assert_int_equal(ol_mfa_status(&c, uid, &st), 0);
    assert_false(st.active);
    assert_int_equal(ol_mfa_reset(&c, "nobody"), -OL_ENOTFOUND);
    ol_ctx_clear(&c);
    ol_db_close(db);
}

static void remove_tree(const char *dir)
{
    static const char *const names[] = {"opsledger.db", "opsledger.db-wal", "opsledger.db-shm",
                                        "mfa.key", "keys/field.keys", "keys", NULL};
    char p[160];
    for (int i = 0; names[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (unlink(p))
            rmdir(p); /* the keys directory, emptied just before */
    }
    rmdir(dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ol-unit-mfa-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(mfa_1_1_totp_rfc6238_vectors),
        cmocka_unit_test(mfa_1_2_totp_window_and_malformed_codes),
        cmocka_unit_test(mfa_1_3_base32_rfc4648_vectors),
        cmocka_unit_test(mfa_1_4_otpauth_uri_escaping),
        cmocka_unit_test(mfa_1_5_recovery_codes),
        cmocka_unit_test(mfa_1_6_qr_svg_matches_the_matrix),
    };
    const struct CMUnitTest stored[] = {
        cmocka_unit_test(mfa_2_1_seal_and_open),
        cmocka_unit_test(mfa_2_2_key_file_readable_by_others_is_refused),
        cmocka_unit_test(mfa_2_3_rotation_reseals_old_secrets),
        cmocka_unit_test(mfa_3_1_enrol_confirm_replay_recovery),
    };
    int failed = cmocka_run_group_tests_name("mfa", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("mfa-store", stored, NULL, NULL);
    static const char *const dirs[] = {"seal", "nokey", "loose", "rotate", "store", NULL};
    for (int i = 0; dirs[i]; i++) {
        char d[96];
        snprintf(d, sizeof d, "%s/%s", tmpdir, dirs[i]);
        remove_tree(d);
    }
    rmdir(tmpdir);
    return failed;
}
