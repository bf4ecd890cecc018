/* tests/unit/test_sensitive.c - S7: mask rules (UTF-8 input), format checks, the key file
 * (creation mode, refusals), sealing round trips, associated-data binding, a wrong key,
 * rotation of the ring, sealed columns, and the registration rules of sensitive fields.
 *
 * sens-1.* need nothing, sens-2.* a key file in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fieldcrypt.h"
#include "records/mask.h"
#include "records/schema.h"
#include "records/sealed.h"
#include "records/sensitive.h"

static char tmpdir[64];

static void expect_mask(ol_mask_t kind, const char *plain, const char *want)
{
    char *m = ol_mask(kind, plain);
    assert_string_equal(m, want);
    free(m);
}

/* ---- sens-1: masks and formats --------------------------------------------------------------- */

static void sens_1_1_masks(void **state)
{
    (void)state;
    expect_mask(OL_MASK_PHONE, "13512348888", "135****8888");
    expect_mask(OL_MASK_PHONE, "+8613512348888", "+86*******8888");
    expect_mask(OL_MASK_PHONE, "1234567", "****"); /* too short to show anything */
    expect_mask(OL_MASK_ID_NUMBER, "110101199003071234", "110***********1234");
    expect_mask(OL_MASK_ID_NUMBER, "11010119900307123X", "110***********123X");
    expect_mask(OL_MASK_BANK_CARD, "6222 0212 3456 7890 123", "**** **** **** 0123");
    expect_mask(OL_MASK_BANK_CARD, "6222021234567890", "**** **** **** 7890");
    expect_mask(OL_MASK_BANK_CARD, "1234567", "****");
    /* Characters, not bytes: the province is one character of three bytes. */
    expect_mask(OL_MASK_PLATE, "京A12388", "京A***88");
    expect_mask(OL_MASK_PLATE, "粤BD12345", "粤B****45");
    expect_mask(OL_MASK_PLATE, "沪A1234挂", "沪A***4挂");
    expect_mask(OL_MASK_PLATE, "京A1", "****");
    expect_mask(OL_MASK_GENERIC, "任何内容", "****");
    assert_true(ol_mask_is_masked("135****8888"));
    assert_false(ol_mask_is_masked("13512348888"));
    assert_false(ol_mask_is_masked(NULL));
}

static void sens_1_2_formats(void **state)
{
    (void)state;
    assert_null(ol_mask_check(OL_MASK_PHONE, "13512348888"));
    assert_null(ol_mask_check(OL_MASK_PHONE, "+86 (10) 6552-9988"));
    assert_string_equal(ol_mask_check(OL_MASK_PHONE, "12345"), "phone");
    assert_string_equal(ol_mask_check(OL_MASK_PHONE, "135一二三48888"), "phone");
    assert_null(ol_mask_check(OL_MASK_ID_NUMBER, "110101199003071234"));
    assert_null(ol_mask_check(OL_MASK_ID_NUMBER, "11010119900307123X"));
    assert_null(ol_mask_check(OL_MASK_ID_NUMBER, "110101900307123"));
    assert_string_equal(ol_mask_check(OL_MASK_ID_NUMBER, "1101011990030712X4"), "id_number");
    assert_string_equal(ol_mask_check(OL_MASK_ID_NUMBER, "11010119900307"), "id_number");
    assert_null(ol_mask_check(OL_MASK_BANK_CARD, "6222-0212-3456-7890"));
    assert_string_equal(ol_mask_check(OL_MASK_BANK_CARD, "6222 0212"), "bank_card");
    assert_null(ol_mask_check(OL_MASK_PLATE, "京A12388"));
    assert_null(ol_mask_check(OL_MASK_PLATE, "粤BD12345"));
    assert_null(ol_mask_check(OL_MASK_PLATE, "沪A1234挂"));
    assert_string_equal(ol_mask_check(OL_MASK_PLATE, "XA12388"), "plate");
    assert_string_equal(ol_mask_check(OL_MASK_PLATE, "京a12388"), "plate");
    assert_string_equal(ol_mask_check(OL_MASK_PLATE, "京A123"), "plate");
    assert_null(ol_mask_check(OL_MASK_GENERIC, "anything"));
}

/* A sensitive field may not be searchable, filterable or sortable, nor a shared column. */
static void sens_1_3_registration_rules(void **state)
{
    (void)state;
    static const char *const states[] = {"open", NULL};
    static const char *const any[] = {"*", NULL};
    ol_field_t fields[] = {
        {"title", OL_F_STRING, OL_FIELD_REQUIRED, 1, 50, NULL, NULL, "T", "T", OL_MASK_GENERIC},
        {"secret", OL_F_STRING, OL_FIELD_SENSITIVE | OL_FIELD_SEARCHABLE, 0, 50, NULL, NULL, "S",
         "S", OL_MASK_PHONE},
    };
    ol_record_type_t t = {.name = "senstest", .path = "senstests", .prefix = "ST",
                          .label_en = "S", .label_zh = "S", .fields = fields, .nfields = 2,
                          .states = states, .perms = {.read = any}};
    char err[256];
    assert_int_not_equal(ol_schema_register(&t, err, sizeof err), 0);
    assert_non_null(strstr(err, "sensitive"));
    fields[1].flags = OL_FIELD_SENSITIVE | OL_FIELD_FILTERABLE;
    assert_int_not_equal(ol_schema_register(&t, err, sizeof err), 0);
    fields[1].flags = OL_FIELD_SENSITIVE;
    fields[1].type = OL_F_INT;
    assert_int_not_equal(ol_schema_register(&t, err, sizeof err), 0);
}

/* ---- sens-2: keys and sealing ---------------------------------------------------------------- */

static void key_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

static void sens_2_1_key_file_created_0600(void **state)
{
    (void)state;
    char path[128], err[512];
    key_path(path, sizeof path, "keys/field.keys");
    assert_int_equal(ol_fkeys_open(path, 1, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char id[OL_FKEY_ID_MAX];
    assert_int_equal(ol_fkeys_active(id), 0);
    assert_string_equal(id, "k1");
    /* Readable by others: refused, with the fix in the message. */
    chmod(path, 0644);
    assert_int_equal(ol_fkeys_open(path, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    chmod(path, 0600);
    /* Missing, and not to be created: refused. */
    char none[128];
    key_path(none, sizeof none, "none.keys");
    assert_int_equal(ol_fkeys_open(none, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.keys"));
    /* A malformed line. */
    char bad[128];
    key_path(bad, sizeof bad, "bad.keys");
    FILE *f = fopen(bad, "w");
    fputs("k1:not-base64!\n", f);
    fclose(f);
    chmod(bad, 0600);
    assert_int_equal(ol_fkeys_open(bad, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(ol_fkeys_open(path, 0, err, sizeof err), 0);
}

static void sens_2_2_round_trip_and_binding(void **state)
{
    (void)state;
    char *s = ol_sens_seal("CT-000001", "phone", "13512348888");
    assert_non_null(s);
    assert_true(ol_fcrypt_is_sealed(s));
    assert_int_equal(strncmp(s, "enc:v1:k1:", 10), 0);
    assert_null(strstr(s, "13512348888"));
    char *plain;
    assert_int_equal(ol_sens_open("CT-000001", "phone", s, &plain), 0);
    assert_string_equal(plain, "13512348888");
    free(plain);
    /* Moved to another record or field: does not open. */
    assert_int_equal(ol_sens_open("CT-000002", "phone", s, &plain), -OL_EDAMAGED);
    assert_int_equal(ol_sens_open("CT-000001", "bank_card", s, &plain), -OL_EDAMAGED);
    /* Altered: one character of the ciphertext. */
    char *t = strdup(s);
    size_t n = strlen(t);
    t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(ol_sens_open("CT-000001", "phone", t, &plain), -OL_EDAMAGED);
    free(t);
    assert_int_equal(ol_sens_open("CT-000001", "phone", "13512348888", &plain), -OL_EINVAL);
    /* Two seals of one value differ (random nonces). */
    char *again = ol_sens_seal("CT-000001", "phone", "13512348888");
    assert_string_not_equal(s, again);
    free(again);
    /* Chinese text survives. */
    char *zh = ol_sens_seal("CT-000001", "plate_number", "京A12388");
    assert_int_equal(ol_sens_open("CT-000001", "plate_number", zh, &plain), 0);
    assert_string_equal(plain, "京A12388");
    free(plain);
    free(zh);
    free(s);
}

static void sens_2_3_wrong_key_and_rotation(void **state)
{
    (void)state;
    char path[128], other[128], err[512];
    key_path(path, sizeof path, "keys/field.keys");
    key_path(other, sizeof other, "other/field.keys");
    char *s = ol_sens_seal("CT-000009", "phone", "13900001111");
    /* Another file with a key of the same id: fails cleanly, nothing leaks. */
    assert_int_equal(ol_fkeys_open(other, 1, err, sizeof err), 0);
    char *plain = (char *)1;
    assert_int_equal(ol_sens_open("CT-000009", "phone", s, &plain), -OL_EDAMAGED);
    assert_null(plain);
    char print_other[OL_FKEY_PRINT_HEX], print[OL_FKEY_PRINT_HEX];
    assert_int_equal(ol_fkeys_fingerprint("k1", print_other), 0);
    /* Back to the right file; a new key becomes active, the old one still opens. */
    assert_int_equal(ol_fkeys_open(path, 0, err, sizeof err), 0);
    assert_int_equal(ol_fkeys_fingerprint("k1", print), 0);
    assert_string_not_equal(print, print_other);
    char id[OL_FKEY_ID_MAX];
    assert_int_equal(ol_fkeys_add(id, err, sizeof err), 0);
    assert_string_equal(id, "k2");
    char *s2 = ol_sens_seal("CT-000009", "phone", "13900001111");
    assert_int_equal(strncmp(s2, "enc:v1:k2:", 10), 0);
    assert_int_equal(ol_sens_open("CT-000009", "phone", s, &plain), 0);
    free(plain);
    assert_int_equal(ol_sens_open("CT-000009", "phone", s2, &plain), 0);
    assert_string_equal(plain, "13900001111");
    free(plain);
    assert_true(ol_fkeys_has("k1"));
    assert_false(ol_fkeys_has("k3"));
    free(s);
    free(s2);
}

static void sens_2_4_sealed_columns(void **state)
{
    (void)state;
    char *s = ol_seal_text("user_mfa", "secret_enc", 7, "JBSWY3DPEHPK3PXP");
    assert_non_null(s);
    char *plain;
    assert_int_equal(ol_open_text("user_mfa", "secret_enc", 7, s, &plain), 0);
    assert_string_equal(plain, "JBSWY3DPEHPK3PXP");
    ol_sealed_free(plain);
    /* Bound to its row, and to its column. */
    assert_int_equal(ol_open_text("user_mfa", "secret_enc", 8, s, &plain), -OL_EDAMAGED);
    assert_int_equal(ol_sens_open("7", "secret_enc", s, &plain), -OL_EDAMAGED);
    /* An undeclared column is refused: rotation would not know it. */
    assert_null(ol_seal_text("users", "nickname", 7, "x"));
    assert_int_equal(ol_open_text("users", "nickname", 7, s, &plain), -OL_EINVAL);
    free(s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ol-sens-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ol_fkeys_close();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sens_1_1_masks),
        cmocka_unit_test(sens_1_2_formats),
        cmocka_unit_test(sens_1_3_registration_rules),
        cmocka_unit_test(sens_2_1_key_file_created_0600),
        cmocka_unit_test(sens_2_2_round_trip_and_binding),
        cmocka_unit_test(sens_2_3_wrong_key_and_rotation),
        cmocka_unit_test(sens_2_4_sealed_columns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
