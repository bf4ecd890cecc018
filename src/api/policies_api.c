/* api/policies_api.c - the policies in effect, for administrators and auditors:
 *   GET /api/v1/policies  {"items": [{"key", "value", "default", "description"}]}
 * Every number from the standards is a setting (core/config.h); this shows what this server
 * runs with, so an auditor can check the policy without shell access. Settings change in the
 * configuration file, the environment or flags, and each change is audited at the next start
 * (records/config_audit.c). A password in a database URL is masked. */
#include <string.h>

#include "api/api.h"
#include "auth/authz.h"
#include "core/err.h"

void ol_api_policies(ol_req_t *r, ol_call_t *call)
{
    ol_ctx_t *c = &call->ctx;
    r->route = "/api/v1/policies";
    if (strcmp(r->method, "GET")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET");
        return;
    }
    if (!ol_authz(c->roles, "config", "read")) {
        ol_ctx_fail(c, -OL_EFORBIDDEN, "only administrators and auditors may read the policies");
        ol_api_reply_error(r, -OL_EFORBIDDEN, c);
        return;
    }
    json_t *items = json_array();
    char buf[1024];
    for (size_t k = 0; k < ol_config_count(); k++) {
        const char *key, *value = ol_config_shown(ol_config(), k, &key, buf, sizeof buf);
        json_array_append_new(items, json_pack("{ssssssss}", "key", key, "value", value,
                                               "default", ol_config_default(k), "description",
                                               ol_config_description(k)));
    }
    json_t *out = json_pack("{so}", "items", items);
    ol_reply_json(r, 200, out);
    json_decref(out);
}
