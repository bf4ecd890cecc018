/* records/schema.h - how a record type is declared: fields, states, transitions, permissions.
 *
 * A module declares one static const ol_record_type_t and registers it at start-up; the engine
 * derives validation, storage, workflow, listing, search, the API and the OpenAPI document from
 * it, with no per-type code (DESIGN.md, REQUIREMENTS.md P1, P2). */
#ifndef OL_SCHEMA_H
#define OL_SCHEMA_H
#include <jansson.h>
#include <stddef.h>

typedef enum {
    OL_F_STRING,   /* one line of text; min/max in characters */
    OL_F_TEXT,     /* multi-line text; min/max in characters */
    OL_F_INT,      /* integer; min/max inclusive */
    OL_F_BOOL,
    OL_F_ENUM,     /* one of values[] */
    OL_F_DATETIME, /* ISO 8601 UTC "2026-11-22T10:00:00Z" */
    OL_F_TAGS,     /* array of short strings; max = most items */
    OL_F_USER,     /* a username */
} ol_ftype_t;

enum {
    OL_FIELD_REQUIRED = 1 << 0,   /* must be present and non-empty on create */
    OL_FIELD_SEARCHABLE = 1 << 1, /* indexed for full-text search */
    OL_FIELD_FILTERABLE = 1 << 2, /* may be used in list filters */
    OL_FIELD_READONLY = 1 << 3,   /* set only by transitions or the engine */
    OL_FIELD_SORTABLE = 1 << 4,
    OL_FIELD_SENSITIVE = 1 << 5,  /* S7: encrypted at rest, masked on output (see mask) */
    OL_FIELD_UNIQUE = 1 << 6,     /* K1: unique among the type's records, enforced by a unique
                                   * index named records_<type>_<field>_key (a migration); a
                                   * duplicate is refused with 409 naming the field */
};

/* S7: how a sensitive field is shown to readers without the reveal permission (records/mask.c). */
typedef enum {
    OL_MASK_GENERIC,   /* "****" */
    OL_MASK_PHONE,     /* first 3 and last 4 characters: 135****8888 */
    OL_MASK_ID_NUMBER, /* first 3 and last 4 characters: 110***********1234 */
    OL_MASK_BANK_CARD, /* last 4 digits: **** **** **** 1234 */
    OL_MASK_PLATE,     /* province, letter and last 2: 京A***88 */
} ol_mask_t;

typedef struct {
    const char *name;            /* JSON name; title, priority, owner and group are shared columns */
    ol_ftype_t type;
    unsigned flags;
    long long min, max;          /* see ol_ftype_t; 0,0 = the engine's defaults */
    const char *const *values;   /* OL_F_ENUM: NULL-terminated */
    const char *default_json;    /* JSON text applied on create when absent, or NULL */
    const char *label_en, *label_zh;
    ol_mask_t mask;              /* OL_FIELD_SENSITIVE: how output is masked */
} ol_field_t;

/* What a guard sees. record holds every field after the transition's own input is applied (its
 * "state" is still the state before). conn (the transition's transaction) and ctx (the caller:
 * roles, db, lang) are set by the engine; a guard that reads the database uses conn when it is
 * set. */
struct ol_ctx;
struct ol_conn;
typedef struct {
    const json_t *record;
    const char *actor;
    const char *reason;
    struct ol_conn *conn;
    struct ol_ctx *ctx;
} ol_guard_ctx_t;

/* An effect runs inside the transition's transaction after the record changed (record: its new
 * form), for what the transition does beyond the record, e.g. granting a role. A non-zero
 * return (with the reason in the context) undoes the whole transition. An effect that writes
 * the record again (a nested write in the same transaction) leaves its newer form in
 * c->result, and the transition answers with that. */
typedef int (*ol_effect_fn)(struct ol_conn *conn, struct ol_ctx *c, const json_t *record);

/* A guard returns 0 to allow, or a negative OL_E* code with a message for the user in msg. */
typedef int (*ol_guard_fn)(const ol_guard_ctx_t *g, char *msg, size_t msglen);

/* Separation of duties (REQUIREMENTS S6): a rule the actor of a transition must satisfy, e.g.
 * "the reviewer is not the author" ("一人操作,一人复核"). Checked in the transition's transaction;
 * a violation is refused with 403 naming the rule. Administrators are not exempt. */
typedef enum {
    OL_DUTY_NOT_ACTOR_OF, /* not the last actor of transition ref ("create": the creator) */
    OL_DUTY_NOT_FIELD,    /* not the user named in field ref (after the transition's input) */
    OL_DUTY_HAS_ROLE,     /* holds role ref itself */
    OL_DUTY_INTERNAL,     /* is an internal employee: a regular account, not a temporary or
                           * contractor one (S4; "the approver is internal"); ref unused */
} ol_duty_kind_t;

typedef struct {
    ol_duty_kind_t kind;
    const char *ref;
    const char *rule_en, *rule_zh; /* shown when refused; a list ends with rule_en == NULL */
} ol_duty_t;

typedef struct {
    const char *name;             /* URL segment: /transitions/{name} */
    const char *const *from;      /* NULL-terminated states */
    const char *to;
    const char *const *roles;     /* who may take it; NULL = anyone who may update the record */
    const char *const *requires;  /* fields that must be non-empty afterwards, or NULL */
    int reason_required;
    ol_guard_fn guard;            /* or NULL */
    const char *label_en, *label_zh;
    const ol_duty_t *duties;      /* separation-of-duty rules, or NULL */
    ol_effect_fn effect;          /* or NULL */
    int step_up;                  /* S3: a permission change: needs a fresh MFA confirmation */
} ol_transition_t;

/* Role lists are NULL-terminated; "*" means every authenticated user. These are the module's
 * defaults: administrators may grant more (auth/authz.h), "admin" may do anything and "auditor"
 * may read and export everything. NULL = nobody else. */
typedef struct {
    const char *const *read, *const *create, *const *update, *const *comment;
    const char *const *delete, *const *export;
    const char *const *reveal;  /* S7: who may see sensitive fields in clear (auth/authz.c) */
} ol_perms_t;

/* Fields the type derives from others (e.g. a priority from impact x urgency): called on every
 * create, update and transition, inside its transaction, after the input is applied and before
 * required fields and guards are checked. state is the record's state after the write. It may
 * set or change any field of rec but not its state. */
typedef void (*ol_compute_fn)(json_t *rec, const char *state);

/* Rules that need other records or the record's previous form (e.g. "the requested service
 * exists and is active", a level that rises with each escalation): called on every create,
 * update and transition inside its transaction, after compute. old is the record before the
 * write (NULL on create; its "state" is the state before), state the state after. It may read
 * other records (ol_rec_find), set or change fields of rec but not its state, and enqueue
 * notices. Returns 0, or a negative OL_E* code with per-field errors in c->errors and the
 * detail set (ol_ctx_fail): then nothing is written. */
typedef int (*ol_check_fn)(struct ol_conn *conn, struct ol_ctx *c, json_t *rec, const char *state,
                           const json_t *old);
/* Work a write of the type causes beyond its record, e.g. opening a problem when incidents of one
 * kind repeat (Q1): called inside the write's transaction after a create, an update that changed
 * something, or a transition (action "create", "update" or "transition"), with the record in its
 * new form as answered. A non-zero return (with the reason in the context) undoes the write. */
typedef int (*ol_after_write_fn)(struct ol_conn *conn, struct ol_ctx *c, const json_t *record,
                                 const char *action);

typedef struct ol_record_type {
    const char *name;        /* "article": stored in records.type */
    const char *path;        /* "articles": /api/v1/{path} */
    const char *prefix;      /* "KB": numbers are KB-000001 */
    const char *label_en, *label_zh;
    const ol_field_t *fields;
    size_t nfields;
    const char *const *states;    /* NULL-terminated; the first is the initial state */
    const ol_transition_t *transitions;
    size_t ntransitions;
    ol_perms_t perms;
    ol_compute_fn compute;        /* or NULL */
    ol_check_fn check;            /* or NULL */
    ol_after_write_fn after_write; /* or NULL */
} ol_record_type_t;

/* ---- registry -------------------------------------------------------------------------------- */

/* Checks a declaration and adds it. Returns 0, or -OL_EINVAL with the reason in err. Must be
 * called before the server starts; the registry is read-only afterwards. */
int ol_schema_register(const ol_record_type_t *t, char *err, size_t errlen);
const ol_record_type_t *ol_schema_by_path(const char *path);
const ol_record_type_t *ol_schema_by_name(const char *name);
size_t ol_schema_count(void);
const ol_record_type_t *ol_schema_at(size_t i);

const ol_field_t *ol_schema_field(const ol_record_type_t *t, const char *name);
const ol_transition_t *ol_schema_transition(const ol_record_type_t *t, const char *name);
int ol_schema_state_valid(const ol_record_type_t *t, const char *state);
/* The shared column a field maps to ("grp" for group), or NULL when it lives in data. */
const char *ol_schema_column(const char *field);
int ol_roles_allow(const char *const *allowed, const char *const *held);

/* ---- validation ------------------------------------------------------------------------------ */

/* Validates input (a JSON object from a client) against t. On create, required fields and
 * defaults apply. Errors are appended to errors as {"field","code","message"} in lang ("en" or
 * "zh-CN"). Returns the number of errors. */
int ol_schema_validate(const ol_record_type_t *t, const json_t *input, int creating,
                       const char *lang, json_t *errors);
/* Adds defaults for absent fields to rec (create). */
void ol_schema_apply_defaults(const ol_record_type_t *t, json_t *rec);
/* Checks that every required field (and extra, NULL-terminated) is present and non-empty. */
int ol_schema_check_required(const ol_record_type_t *t, const json_t *rec,
                             const char *const *extra, const char *lang, json_t *errors);
/* Checks that input is a JSON object whose keys are all in allowed (NULL-terminated); appends
 * an error for a non-object and for each other key. Returns the number of errors added. */
int ol_input_check_keys(const json_t *input, const char *const *allowed, const char *lang,
                        json_t *errors);
/* Appends {"field","code","message"}; the message comes from the catalogue in messages.c with
 * arg in place of its one %s. */
void ol_schema_add_error(json_t *errors, const char *field, const char *code, const char *lang,
                         const char *arg);
/* A message of the catalogue in lang, with arg in place of %s; written into buf. */
const char *ol_msg(const char *code, const char *lang, const char *arg, char *buf, size_t len);
/* Picks "zh-CN" or "en" from an Accept-Language header (default en). */
const char *ol_lang_pick(const char *accept_language);

#endif
