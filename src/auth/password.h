/* auth/password.h - S1: the composition rules a new password must meet. Age and history need
 * the database and live in auth/account.c. */
#ifndef OL_PASSWORD_H
#define OL_PASSWORD_H
#include <jansson.h>
#include <stddef.h>

/* Whose password it is: the personal data it must not contain. Any field may be NULL. */
typedef struct {
    const char *username, *display_name, *phone;
    int privileged; /* holds a privileged role: the longer minimum length applies */
} ol_pw_subject_t;

/* Checks pw against every composition rule, in order: length, classes, repeats, sequences
 * (alphabet, digits and keyboard rows, both directions), common words, user name, display name,
 * phone. Returns NULL when it passes, else the message code of the first broken rule
 * ("pw_length", ...; see records/messages.c) with its argument in arg. */
const char *ol_password_rule(const char *pw, const ol_pw_subject_t *s, char *arg, size_t arglen);

/* ol_password_rule as a field error on errors (in lang); returns 1 when pw was refused. */
int ol_password_check(const char *pw, const ol_pw_subject_t *s, const char *field,
                      const char *lang, json_t *errors);

/* 1 when pw, lower-cased, with digits and symbols at its ends stripped and leetspeak
 * (p@ssw0rd) undone, is one of the common passwords or words. */
int ol_password_is_common(const char *pw);

/* The built-in list (auth/common_words.c), sorted byte-wise. */
extern const char *const ol_common_words[];
extern const size_t ol_common_words_count;

#endif
