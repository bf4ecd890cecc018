/* records/record_events.c - P7: every record type's own events, for the teams' notification
 * rules. A record that is created, enters a state or is given an owner raises
 *   <type>.created, <type>.state.<state>, <type>.assigned
 * (e.g. "change.state.leadership_review": the leadership is asked to approve). The notice has no
 * channel of its own: only the rules that match it (records/notify_rules.c) get copies, inside
 * the write's transaction, so a team can follow any step of any process without a line of
 * module code - and with no rule, nothing is stored. */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/json.h"
#include "records/outbox.h"
#include "records/store.h"

/* Sends one event about rec; kind names it in the dedupe key (one per record version). */
static int raise(ol_conn_t *conn, const ol_ctx_t *c, const ol_record_type_t *t,
                 const json_t *rec, const char *event, const char *kind, const char *subject_en,
                 const char *subject_zh)
{
    const char *number = ol_json_str(rec, "number"), *url = ol_config()->public_url;
    char body_en[1200], body_zh[1200], key[160];
    char link[400] = "";
    size_t n = strlen(url);
    if (n) /* the record's page in the web UI */
        snprintf(link, sizeof link, "\n%.*s/records/%s/%s", (int)(n - (url[n - 1] == '/')), url,
                 t->path, number);
    snprintf(body_en, sizeof body_en, "%.600s%s",
             ol_json_str(rec, "title") ? ol_json_str(rec, "title") : "", link);
    snprintf(body_zh, sizeof body_zh, "%s", body_en);
    snprintf(key, sizeof key, "rec:%s:%lld:%s", number,
             (long long)json_integer_value(json_object_get(rec, "version")), kind);
    ol_notice_t notice = {.channel = NULL, .event = event, .record = number,
                          .subject_en = subject_en, .body_en = body_en, .subject_zh = subject_zh,
                          .body_zh = body_zh, .dedupe_key = key};
    return ol_outbox_enqueue(conn, c, &notice);
}

int ol_rec_events(ol_conn_t *conn, const ol_ctx_t *c, const ol_record_type_t *t,
                  const json_t *rec, const ol_transition_t *tr, const json_t *changed)
{
    const char *number = ol_json_str(rec, "number"), *state = ol_json_str(rec, "state");
    if (!number || !state)
        return 0;
    char event[96], en[320], zh[320];
    int rc = 0;
    if (!changed) { /* created */
        snprintf(event, sizeof event, "%s.created", t->name);
        snprintf(en, sizeof en, "New %s %s", t->label_en, number);
        snprintf(zh, sizeof zh, "新建%s %s", t->label_zh, number);
        rc = raise(conn, c, t, rec, event, "created", en, zh);
    }
    if (rc == 0 && tr) {
        snprintf(event, sizeof event, "%s.state.%s", t->name, state);
        snprintf(en, sizeof en, "%s %s: %s (now %s)", t->label_en, number, tr->label_en, state);
        snprintf(zh, sizeof zh, "%s %s:%s(当前状态 %s)", t->label_zh, number,
                 tr->label_zh ? tr->label_zh : tr->label_en, state);
        rc = raise(conn, c, t, rec, event, "state", en, zh);
    }
    const char *owner = ol_json_str(rec, "owner");
    if (rc == 0 && owner && *owner && (!changed || json_object_get(changed, "owner"))) {
        snprintf(event, sizeof event, "%s.assigned", t->name);
        snprintf(en, sizeof en, "%s %s assigned to %.64s", t->label_en, number, owner);
        snprintf(zh, sizeof zh, "%s %s 已指派给 %.64s", t->label_zh, number, owner);
        rc = raise(conn, c, t, rec, event, "assigned", en, zh);
    }
    return rc;
}
