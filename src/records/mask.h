/* records/mask.h - S7 masking rules and format checks of sensitive values, by mask kind.
 *
 * Rules (on UTF-8 characters, of the value as stored):
 *   phone      first 3 and last 4 kept, each character between becomes '*': 135****8888;
 *              fewer than 8 characters: "****"
 *   id_number  first 3 and last 4 kept, the rest '*': 110***********1234; fewer than 8: "****"
 *   bank_card  "**** **** **** " and the last 4 digits; fewer than 8 digits: "****"
 *   plate      first 2 (province and letter) and last 2 kept, the rest '*': 京A***88;
 *              fewer than 5 characters: "****"
 *   generic    "****" */
#ifndef OL_MASK_H
#define OL_MASK_H
#include "records/schema.h"

/* The masked form of plain. Caller frees. */
char *ol_mask(ol_mask_t kind, const char *plain);
/* Checks the format of a new value of this kind; returns NULL when it is acceptable, or the
 * message code of the catalogue (messages.c) saying what is expected. */
const char *ol_mask_check(ol_mask_t kind, const char *value);
/* 1 when value has the shape of a mask (holds '*'): on update, a client echoing the mask it
 * was shown means "unchanged", which the engine confirms against the stored value. */
int ol_mask_is_masked(const char *value);

#endif
