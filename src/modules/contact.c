/* modules/contact.c - contacts (联系人): people who report incidents or are called in an
 * emergency - customers, car owners, vendor staff. Their phone, ID number, bank card (for
 * refunds) and plate number are sensitive (REQUIREMENTS S7): sealed at rest, masked on output,
 * shown in clear only to those who may reveal them, each reveal audited. A declaration only;
 * the formats are checked by the engine's mask kinds (records/mask.c). */
#include "records/schema.h"

static const ol_field_t fields[] = {
    /* The contact's name is the record's title (shared column: lists, search, links). */
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 200, NULL, NULL, "Name",
     "姓名"},
    {"organisation", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Organisation", "单位"},
    {"email", OL_F_STRING, OL_FIELD_SEARCHABLE, 0, 254, NULL, NULL, "Email", "电子邮箱"},
    {"phone", OL_F_STRING, OL_FIELD_SENSITIVE, 0, 32, NULL, NULL, "Phone", "电话", OL_MASK_PHONE},
    {"id_number", OL_F_STRING, OL_FIELD_SENSITIVE, 0, 18, NULL, NULL, "ID number", "身份证号",
     OL_MASK_ID_NUMBER},
    {"bank_card", OL_F_STRING, OL_FIELD_SENSITIVE, 0, 32, NULL, NULL, "Bank card (refunds)",
     "银行卡号(退款)", OL_MASK_BANK_CARD},
    {"plate_number", OL_F_STRING, OL_FIELD_SENSITIVE, 0, 16, NULL, NULL, "Plate number",
     "车牌号", OL_MASK_PLATE},
    {"notes", OL_F_TEXT, 0, 0, 10000, NULL, NULL, "Notes", "备注"},
};

static const char *const states[] = {"active", "inactive", NULL};
static const char *const st_active[] = {"active", NULL};
static const char *const st_inactive[] = {"inactive", NULL};

static const ol_transition_t transitions[] = {
    {"deactivate", st_active, "inactive", NULL, NULL, 1, NULL, "Deactivate", "停用", NULL, NULL},
    {"reactivate", st_inactive, "active", NULL, NULL, 0, NULL, "Reactivate", "重新启用", NULL,
     NULL},
};

static const char *const staff[] = {"service_desk", "ops_engineer", "ops_manager", NULL};
/* Who may see the values in clear reads the contact too (admin may do anything). */
static const char *const readers[] = {"service_desk", "ops_engineer", "ops_manager",
                                      "infosec_manager", NULL};
static const char *const revealers[] = {"infosec_manager", NULL};

const ol_record_type_t ol_contact_type = {
    .name = "contact",
    .path = "contacts",
    .prefix = "CT",
    .label_en = "Contact",
    .label_zh = "联系人",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = readers, .create = staff, .update = staff, .comment = staff,
              .reveal = revealers},
};
