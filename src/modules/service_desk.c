/* modules/service_desk.c - rules the request, survey and complaint modules share (V2, V3). */
#include <string.h>

#include "core/err.h"
#include "modules/service_desk.h"

const char *const ol_sd_workers[] = {"service_desk", "ops_engineer", "ops_manager", NULL};

int ol_sd_in(const char *state, const char *const *list)
{
    for (; state && *list; list++)
        if (!strcmp(*list, state))
            return 1;
    return 0;
}

void ol_sd_stamp(json_t *rec, const char *key, int on)
{
    char now[32];
    json_t *v = json_object_get(rec, key);
    if (!on)
        json_object_set_new(rec, key, json_null());
    else if (!v || json_is_null(v))
        json_object_set_new(rec, key, json_string(ol_now_iso(now))); /* as created_at */
}

int ol_sd_changed(const json_t *old, const json_t *rec, const char *key)
{
    const json_t *was = old ? json_object_get(old, key) : NULL, *now = json_object_get(rec, key);
    int was_set = was && !json_is_null(was), now_set = now && !json_is_null(now);
    return was_set != now_set || (was_set && !json_equal(was, now));
}

int ol_sd_check_party(ol_ctx_t *c, json_t *rec, const json_t *old, const char *field)
{
    const char *party = json_string_value(json_object_get(rec, field));
    if (!old && !party) {
        json_object_set_new(rec, field, json_string(c->user));
        party = c->user;
    }
    if (ol_roles_allow(ol_sd_workers, c->roles))
        return 0;
    const char *was = old ? json_string_value(json_object_get(old, field)) : NULL;
    if (old && (!was || strcmp(was, c->user)))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may change only your own records (%s is %s)",
                           field, was ? was : "nobody");
    if (!party || strcmp(party, c->user)) {
        ol_schema_add_error(c->errors, field, "party_self", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "you may raise it only for yourself");
    }
    return 0;
}
